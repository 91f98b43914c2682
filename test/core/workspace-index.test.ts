/**
 * WorkspaceIndex is kept up to date file by file (the editor replaces an open document's summary at every
 * typing pause); its answers must be those of the whole index rebuilt from the summaries, in the same order.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type FileSummary, WorkspaceIndex } from '../../core/context/workspace';
import { rand } from '../fuzz/mutate';

/** The answers as a rebuild over the summaries (in the order their files were first added) gives them. */
function rebuilt(files: Map<string, FileSummary>) {
  const all = [...files.values()];
  return {
    callSites: (name: string, except: string) =>
      all.flatMap((s) => (s.path === except ? [] : s.calls.filter((c) => c.callee === name).map((call) => ({ file: s.path, call })))),
    entryRegistrations: (name: string, except: string) =>
      all.flatMap((s) =>
        s.path === except ? [] : s.entries.filter((e) => e.name === name).map((e) => ({ file: s.path, kind: e.kind, how: e.how, line: e.line })),
      ),
    usedAsValueElsewhere: (name: string, except: string) => all.some((s) => s.path !== except && s.valueRefs.includes(name)),
  };
}

test('updates, replacements and removals in any order answer as a rebuild of the index does', () => {
  const r = rand(11);
  const names = ['open', 'close', 'irq', 'tx', 'rx', 'probe'];
  const paths = ['a.c', 'b.c', 'c.c', 'd.c', 'e.c'];
  const summary = (path: string): FileSummary => ({
    path,
    exported: [],
    entries: Array.from({ length: r.int(3) }, () => ({ name: r.pick(names), kind: 'irq-handler' as const, how: 'request_irq', line: r.int(100) })),
    calls: Array.from({ length: r.int(6) }, () => ({ caller: r.pick(names), callee: r.pick(names), atomic: r.int(2) ? null : 'spin_lock', line: r.int(100) })),
    valueRefs: Array.from({ length: r.int(3) }, () => r.pick(names)),
    contextSensitive: [],
  });
  const index = new WorkspaceIndex();
  const files = new Map<string, FileSummary>();
  for (let step = 0; step < 2000; step++) {
    const path = r.pick(paths);
    if (r.int(5) === 0) {
      index.remove(path);
      files.delete(path);
    } else {
      const s = summary(path);
      index.update(s);
      files.set(path, s); // a replaced file keeps its place, as in the index
    }
    const want = rebuilt(files);
    for (const name of names)
      for (const except of [r.pick(paths), 'none.c']) {
        assert.deepEqual(index.callSites(name, except), want.callSites(name, except), `step ${step}: callSites(${name}, ${except})`);
        assert.deepEqual(index.entryRegistrations(name, except), want.entryRegistrations(name, except), `step ${step}: entries(${name})`);
        assert.equal(index.usedAsValueElsewhere(name, except), want.usedAsValueElsewhere(name, except), `step ${step}: values(${name})`);
      }
    assert.equal(index.size, files.size);
  }
});
