/** Over JSON-RPC: a sleep-in-atomic finding offers "allocate before the lock" (preferred) and GFP_ATOMIC, and applying the first gives code the server no longer flags. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CodeAction } from 'vscode-languageserver-protocol';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { startServer } from '../support/lsp-client';

const text = `#include <linux/slab.h>
#include <linux/spinlock.h>

struct pipe { spinlock_t lock; char *buf; };

static int pipe_fill(struct pipe *p)
{
	char *nbuf;

	spin_lock(&p->lock);
	nbuf = kmalloc(512, GFP_KERNEL);
	if (!nbuf) {
		spin_unlock(&p->lock);
		return -ENOMEM;
	}
	p->buf = nbuf;
	spin_unlock(&p->lock);
	return 0;
}
`;

test('allocate before the lock: offered first and preferred, GFP_ATOMIC second; the moved code has no finding left', async () => {
  const s = await startServer({ initializationOptions: { indexWorkspace: false } });
  try {
    const uri = 'file:///tmp/kport-hoist-fix/pipe.c';
    const diagnostics = (await s.open(uri, text)).filter((d) => d.code === 'sleep-in-atomic');
    assert.equal(diagnostics.length, 1);
    assert.match(diagnostics[0].message, /use GFP_ATOMIC, or allocate before spin_lock\(\)/);
    const actions = (await s.conn.sendRequest('textDocument/codeAction', {
      textDocument: { uri },
      range: diagnostics[0].range,
      context: { diagnostics, only: ['quickfix'] },
    })) as CodeAction[];
    const titles = actions.map((a) => a.title);
    assert.match(titles[0], /^Allocate before spin_lock\(\)/, `${titles}`);
    assert.equal(actions[0].isPreferred, true);
    const atomic = actions.find((a) => a.title === 'Use GFP_ATOMIC (cannot sleep)');
    assert.ok(atomic && !atomic.isPreferred, `${titles}`);
    const doc = TextDocument.create(uri, 'c', 1, text);
    const hoisted = TextDocument.applyEdits(doc, actions[0].edit!.changes![uri]);
    assert.ok(hoisted.includes('\tnbuf = kmalloc(512, GFP_KERNEL);\n\tif (!nbuf)\n\t\treturn -ENOMEM;\n\tspin_lock(&p->lock);\n\tp->buf = nbuf;'), hoisted);
    const after = await s.open('file:///tmp/kport-hoist-fix/pipe-hoisted.c', hoisted);
    assert.deepEqual(
      after.filter((d) => d.code === 'sleep-in-atomic'),
      [],
    );
  } finally {
    await s.close();
  }
});
