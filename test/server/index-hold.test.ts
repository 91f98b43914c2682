/**
 * The workspace index gives way to the user's typing: the language server holds the index's workers (a PauseGate)
 * from each keystroke until typing pauses, but for 30 s without a break at most (TypingHold). A held worker starts no
 * file and waits inside one at core's pause points (before each function's facts, between rules, during a parse),
 * and goes on once released. An analysis with pause points finds what it finds without.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { analyze, FileFacts, setPausePoint } from '../../core';
import { enabledRules } from '../../core/analyze';
import { WorkerPool } from '../../server/check/pool';
import { indexSettings, runIndexHost } from '../../server/lsp/indexer';
import { PauseGate } from '../../server/node/pause-gate';
import { TypingHold } from '../../server/lsp/typing-hold';
import { getParser } from '../support/core';
import { loadFixtures } from '../support/fixtures';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kport-hold-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** `n` small drivers, each with a sleeping allocation under a spinlock. */
function drivers(dir: string, n: number): string[] {
  fs.mkdirSync(dir, { recursive: true });
  return Array.from({ length: n }, (_, i) => {
    const f = path.join(dir, `drv_${i}.c`);
    fs.writeFileSync(
      f,
      `#include <linux/slab.h>\n#include <linux/spinlock.h>\n\nstatic spinlock_t lock_${i};\n\nint fill_${i}(void)\n{\n\tvoid *p;\n\n` +
        `\tspin_lock(&lock_${i});\n\tp = kmalloc(64, GFP_KERNEL);\n\tspin_unlock(&lock_${i});\n\treturn p != 0;\n}\n`,
    );
    return f;
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a held pool checks no file, and released checks them all', { timeout: 60_000 }, async () => {
  const files = drivers(path.join(tmp, 'pool'), 12);
  const gate = new PauseGate();
  gate.holdFor(60_000);
  let done = 0;
  const pool = new WorkerPool(files.length, { jobs: 2, mainThread: false, pause: gate.cell, onProgress: (d) => (done = d) });
  try {
    let finished = false;
    const run = pool.run(files, { mode: 'check' }).then((r) => {
      finished = true;
      return r;
    });
    await sleep(1500); // the workers load the parser and take their first files meanwhile
    assert.equal(done, 0, 'no file was checked while the pool was held');
    assert.equal(finished, false);
    gate.release();
    const reports = await run;
    assert.equal(reports.length, files.length);
    for (const r of reports)
      assert.deepEqual(
        r.findings.map((f) => `${f.start.line}:${f.rule}`),
        ['11:sleep-in-atomic'],
        r.file,
      );
    assert.ok(gate.heldMs >= 1400, `held ${gate.heldMs} ms`);
  } finally {
    gate.release();
    pool.close();
  }
});

test('an index host held by its language server goes on when released', { timeout: 60_000 }, async () => {
  const root = path.join(tmp, 'host');
  const files = drivers(root, 40);
  let done = 0;
  let finished = false;
  let hold: ((ms: number) => void) | undefined;
  const run = runIndexHost(
    { root, settings: indexSettings({ cache: false }), config: undefined, cacheFile: undefined, goal: 'summaries' },
    {
      onStarted: (h) => {
        hold = h.holdFor;
        h.holdFor(60_000);
      },
      onProgress: (pass, d) => {
        if (pass === 'pass 1') done = Math.max(done, d);
      },
    },
  ).then((r) => {
    finished = true;
    return r;
  });
  await sleep(2000);
  assert.ok(hold, 'the host was started');
  assert.equal(finished, false, 'the held index did not finish');
  assert.equal(done, 0, 'no file was indexed while held');
  hold(0);
  const r = await run;
  assert.equal(r.files, files.length);
  assert.equal(r.summaries.length, files.length);
  // Counted from the host's start (node with tsx from source takes a while to start): part of the two seconds.
  assert.ok((r.heldSeconds ?? 0) >= 0.5, `the host reports ${r.heldSeconds} s held`);
  assert.equal(r.holdLatencyMs?.n, 1);
});

test('typing holds the index until a second without a keystroke, and for 30 s at most before it runs 3 s', () => {
  const t = new TypingHold(1000, 30_000, 3_000);
  assert.equal(t.keystroke(0), 1000, 'a keystroke holds it for a second');
  assert.equal(t.keystroke(100), 1000, 'each keystroke extends the hold');
  assert.equal(t.keystroke(2000), 1000, 'after a pause: a new burst');
  // A typist who never pauses for a second, a key every 100 ms from t = 5 s.
  const answers: [number, number | undefined][] = [];
  for (let now = 5000; now <= 75_000; now += 100) answers.push([now, t.keystroke(now)]);
  const releases = answers.filter(([, ms]) => ms === 0).map(([now]) => now);
  assert.deepEqual(releases, [35_100, 68_200], 'released after 30 s of typing, again 30 s after the fair run');
  // During a fair run the keystrokes leave the index alone; the first after it holds it again.
  assert.ok(answers.filter(([now]) => now > 35_100 && now < 38_100).every(([, ms]) => ms === undefined));
  assert.equal(answers.find(([now]) => now === 38_100)?.[1], 1000);
});

test('an analysis meets a pause point in its parse, before each function and between rules, and finds the same', async () => {
  const parser = await getParser();
  const fixtures = loadFixtures().filter((f) => f.expected.size > 0);
  assert.ok(fixtures.length > 20);
  const run = (text: string, file: string) => {
    const parsed = parser.parse(text);
    try {
      const facts = new FileFacts(parsed, file);
      return { functions: facts.functions.length, findings: analyze(facts).findings.map((f) => `${f.span.start}:${f.rule}:${f.message}`) };
    } finally {
      parsed.dispose();
    }
  };
  const rules = enabledRules({}).length;
  let parsesSeen = 0;
  let functions = 0;
  let points = 0;
  for (const f of fixtures) {
    const plain = run(f.text, f.virtualPath);
    const during: string[] = [];
    let stage = 'parse';
    setPausePoint(() => during.push(stage));
    let paused: ReturnType<typeof run>;
    try {
      const parsed = parser.parse(f.text);
      stage = 'analysis';
      try {
        const facts = new FileFacts(parsed, f.virtualPath);
        paused = { functions: facts.functions.length, findings: analyze(facts).findings.map((x) => `${x.span.start}:${x.rule}:${x.message}`) };
      } finally {
        parsed.dispose();
      }
    } finally {
      setPausePoint(undefined);
    }
    assert.deepEqual(paused.findings, plain.findings, f.file);
    // tree-sitter reports its progress every so many steps: a short file's parse may take fewer.
    if (f.text.length > 3000) {
      assert.ok(during.includes('parse'), `${f.file}: no pause point during its parse`);
      parsesSeen++;
    }
    const analysis = during.filter((x) => x === 'analysis').length;
    // One between two rules, one before each function whose definition parsed (not those rebuilt from recovery).
    assert.ok(analysis >= rules - 1, `${f.file}: ${analysis} pause points for ${rules} rules`);
    functions += paused.functions;
    points += analysis - (rules - 1);
  }
  assert.ok(points >= functions * 0.9, `${points} pause points before ${functions} functions`);
  assert.ok(parsesSeen >= 5, `${parsesSeen} fixtures long enough to see the parse's pause points`);
});
