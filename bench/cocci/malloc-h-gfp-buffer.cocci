// kport benchmark anchor, the equivalent of kport's malloc-h and gfp-buffer rules.
@m@
@@
* #include <linux/malloc.h>

@g@
position p;
@@
GFP_BUFFER@p

@script:python@
p << g.p;
@@
print("gfp-buffer %s:%s:%s" % (p[0].file, p[0].line, p[0].column))
