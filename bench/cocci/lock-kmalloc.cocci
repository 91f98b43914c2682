// kport benchmark anchor: kmalloc(..., GFP_KERNEL) after a spin_lock in the same function, before its unlock.
@r exists@
expression L, S;
expression F;
position p;
@@
(
spin_lock(L);
|
spin_lock_irq(L);
|
spin_lock_bh(L);
|
spin_lock_irqsave(L, F);
)
... when != spin_unlock(L)
    when != spin_unlock_irq(L)
    when != spin_unlock_bh(L)
    when != spin_unlock_irqrestore(L, F)
kmalloc@p(S, GFP_KERNEL)

@script:python@
p << r.p;
@@
print("lock-kmalloc %s:%s:%s" % (p[0].file, p[0].line, p[0].column))
