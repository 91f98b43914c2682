/**
 * The CLI leaves files unparsed on two text tests (core/relevance.ts); both must be conservative.
 * - Rule.triggers: with every trigger of a rule gone from a file that had findings of that rule, the
 *   rule finds nothing there (so a file without triggers cannot have been missing a finding).
 * - mentionTest: every identifier tree-sitter reads in a text is found by it, glued tokens included.
 * And a rule that says it does not use the calling context (Rule.usesContext false) never reads it, so
 * that a run of only such rules can skip the cross-file passes.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { analyze, FileFacts, RULES, type Finding, type FileSummary } from '../../core';
import { focusSummaries, mergeSummaries, WorkspaceIndex } from '../../core/context/workspace';
import { CONTEXT_ANCHORS } from '../../core/kernel/alloc-api';
import { mentionPositions, mentionTest, triggerSpans, triggerTest } from '../../core/relevance';
import { atomicSourceSpans, mayRunAtomic } from '../../core/context/atomic-sources';
import { analyzeInPart, parseForRules, parseForSummary } from '../../core/scale/partial-parse';
import { SharedAnalyses } from '../../core/context/shared';
import { summarizeFile } from '../../core/context/atomic-context';
import { scanTopLevel } from '../../core/facts/build-ir';
import type { ParsedFile } from '../../core/parse/parser';
import { topLevelItems } from '../../core/parse/top-level-items';
import { getParser } from '../support/core';
import { OPT_IN_ON, ourSources } from '../support/fixtures';
import { ROOT } from '../support/lsp-client';

/** `text` with every occurrence of `words` defaced (first letter → Q): same length, none of them left. */
function deface(text: string, words: readonly string[]): string {
  let out = text;
  for (let changed = true; changed; ) {
    changed = false;
    for (const w of words) {
      if (!out.includes(w)) continue;
      out = out.split(w).join('Q' + w.slice(1));
      changed = true;
    }
  }
  return out;
}

test('each rule finds nothing in a file once its triggers are gone (checked on every fixture where it fires)', async () => {
  const parser = await getParser();
  const firing = new Map<string, number>();
  // The article's target and the latest: the later-kernel rules fire only for the latter.
  for (const { file, text } of ourSources())
    for (const config of [{ rules: { ...OPT_IN_ON } }, { rules: { ...OPT_IN_ON }, target: '6.1' }]) {
      const parsed = parser.parse(text);
      let found: Set<string>;
      try {
        found = new Set(analyze(new FileFacts(parsed, file), { config }).findings.map((f) => f.rule));
      } finally {
        parsed.dispose();
      }
      for (const rule of RULES) {
        if (!found.has(rule.id)) continue;
        firing.set(rule.id, (firing.get(rule.id) ?? 0) + 1);
        const defaced = deface(text, rule.triggers);
        assert.equal(triggerTest([rule])(defaced), false);
        assert.equal(triggerTest([rule])(text), true, `${file}: ${rule.id} fires without its triggers`);
        const again = parser.parse(defaced);
        try {
          const left = analyze(new FileFacts(again, file), { only: [rule.id], config }).findings;
          assert.deepEqual(
            left.map((f) => `${file}:${defaced.slice(f.span.start, f.span.end)}`),
            [],
            `${rule.id} still fires without ${rule.triggers.join(', ')}`,
          );
        } finally {
          again.dispose();
        }
      }
    }
  assert.deepEqual(
    RULES.map((r) => r.id).filter((id) => !firing.has(id)),
    [],
    'every rule fires on some fixture, so every rule was checked',
  );
});

test('the trigger test: substrings anywhere, so comments and longer names keep a file', () => {
  const all = triggerTest(RULES);
  assert.equal(all('int f(void) { return 0; }'), false);
  assert.equal(all('/* was kmalloc() */'), true);
  assert.equal(all('#include <linux/malloc.h>'), true);
  assert.equal(all('x = GFP_BUFFER;'), true);
  assert.equal(all('p = dev_alloc_skb(64); q = kmalloc_node(4, 0, 1);'), false, 'a longer name is another function');
  for (const glued of ['x = 0x1fkmalloc(4, GFP_KERNEL);', '#definekmalloc 1', 'y = $kmalloc;', 'z = 9kmalloc;', 'w = \u00e9kmalloc(1);', 'kmalloc'])
    assert.equal(all(glued), true, glued);
  assert.equal(triggerTest([])('kmalloc'), false, 'no rule enabled: nothing can be found');
});

const IDENTIFIER = /identifier$/;
const TRIGGER_NAMES = new Set(RULES.flatMap((r) => r.triggers).filter((w) => /^[A-Za-z_]\w*$/.test(w)));

test('the mention test finds every identifier tree-sitter reads, in fixtures and in glued or broken text', async () => {
  const parser = await getParser();
  const glued = [
    'int x = 0x1fgrab_page(3);',
    '#definegrab_page 1',
    '# define  grab_page(x) x',
    'y = 1ugrab_page;',
    'z = a$grab_page;',
    'w = grab_page\\u00e9;',
    'p = 0x1fkmalloc(4, GFP_KERNEL);',
    '#definekmalloc(n) 0',
    'q = 1ukmalloc(2, GFP_ATOMIC);',
    'r = $kmalloc(1, 0);',
    's = \\u00e9kmalloc(1, 0);',
  ];
  let checked = 0;
  // Broken text too: each source cut at a third and at two thirds, where error recovery splits tokens.
  const cut = ourSources().flatMap(({ file, text }) =>
    [3, 1.5].map((d) => ({ file: `${file} cut at ${Math.floor(text.length / d)}`, text: text.slice(0, Math.floor(text.length / d)) })),
  );
  for (const { file, text } of [...ourSources(), ...cut, ...glued.map((t, i) => ({ file: `glued${i}`, text: t }))]) {
    const parsed = parser.parse(text);
    try {
      const names = new Set<string>();
      const starts: number[] = [];
      const cursor = parsed.root.walk();
      for (let more = true; more; ) {
        if (IDENTIFIER.test(cursor.nodeType) && cursor.endIndex > cursor.startIndex) {
          names.add(parsed.parsedText.slice(cursor.startIndex, cursor.endIndex));
          starts.push(cursor.startIndex);
        }
        if (cursor.gotoFirstChild()) continue;
        while (!cursor.gotoNextSibling())
          if (!cursor.gotoParent()) {
            more = false;
            break;
          }
      }
      cursor.delete();
      for (const n of names) {
        assert.ok(mentionTest([n])(text), `${file}: tree-sitter reads ${JSON.stringify(n)}, the mention test does not see it`);
        checked++;
        if (TRIGGER_NAMES.has(n))
          assert.ok(triggerTest([{ triggers: [n] }])(text), `${file}: tree-sitter reads the trigger ${n}, the trigger test does not see it`);
      }
      // mentionPositions (the partial parses' scan) sees each of them where tree-sitter reads it.
      const at = new Set(mentionPositions(names)(text));
      for (const p of starts)
        assert.ok(at.has(p), `${file}: tree-sitter reads ${JSON.stringify(parsed.parsedText.slice(p, p + 20))} at ${p}, mentionPositions does not`);
      // The rules' token scan (FileFacts.tokens) matches \bname\b.
      for (const w of TRIGGER_NAMES) if (new RegExp(`\\b${w}\\b`).test(text)) assert.ok(triggerTest([{ triggers: [w] }])(text), `${file}: \\b${w}\\b`);
    } finally {
      parsed.dispose();
    }
  }
  assert.ok(checked > 1500, `${checked} identifiers checked`);
  const t = mentionTest(['ring_grab']);
  assert.equal(t('x = ring_grab(4);'), true);
  assert.equal(t('x = ring_grabber(4); y = my_ring_grab(4);'), false, 'a longer identifier is another name');
  assert.equal(t('request_irq(irq, ring_grab, 0, "r", d);'), true);
  const at = mentionPositions(['ring_grab', 'ring']);
  assert.deepEqual(at('x = ring_grab(4); y = ring_grabber(4) + ring; z = 0x1fring_grab;'), [4, 40, 54]);
  // Past 64 names the scan reads identifier runs and looks up those whose hash a name has: the same answers.
  const many = [...Array.from({ length: 100 }, (_, i) => `pad_name_${i}`), 'ring_grab', 'ring'];
  assert.ok(many.length > 64);
  assert.deepEqual(mentionPositions(many)('x = ring_grab(4); y = ring_grabber(4) + ring; z = 0x1fring_grab;'), [4, 40, 54]);
  assert.deepEqual(mentionPositions(many)('pad_name_7(); pad_name_70(); pad_name_700(); #definepad_name_99 1'), [0, 14, 52]);
  assert.equal(mentionTest(many)('x = ring_grabber(4); y = my_ring_grab(4); pad_name_100;'), false);
});

test('a static function is reached from its own file only: a same-named call elsewhere does not decide its context', async () => {
  const parser = await getParser();
  const dir = path.join(ROOT, 'test', 'fixtures', 'workspace', 'static-name');
  const facts = (name: string) => new FileFacts(parser.parse(fs.readFileSync(path.join(dir, name), 'utf8')), name);
  const index = new WorkspaceIndex();
  const table = facts('table.c');
  index.update(summarizeFile(table));
  table.file.dispose();
  const cache = facts('cache.c');
  try {
    // table.c calls its own grow() in process context; cache.c's static grow() runs only under cache_lock.
    const found = analyze(cache, { env: { workspace: index } }).findings;
    assert.deepEqual(
      found.map((f) => `${f.rule}:${cache.lineOf(f.span.start)}`),
      ['sleep-in-atomic:10'],
    );
  } finally {
    cache.file.dispose();
  }
});

test("a rule's triggers are derived from what it declares it matches, and the trigger test sees each where code has it", () => {
  for (const rule of RULES) {
    const declared = [...rule.matches.calls, ...rule.matches.tokens, ...rule.matches.includes];
    assert.ok(declared.length > 0, `${rule.id} declares what it matches`);
    assert.deepEqual([...rule.triggers].sort(), [...new Set(declared)].sort(), `${rule.id}: triggers are its matches, nothing written twice`);
    assert.equal(rule.usesContext, rule.needs.context);
    assert.equal(rule.readsWholeFile, rule.needs.wholeFile);
    const seen = triggerTest([rule]);
    for (const name of rule.matches.calls) assert.ok(seen(`void f(void)\n{\n\tp = ${name}(0, 1);\n}\n`), `${rule.id}: a call of ${name}`);
    for (const name of rule.matches.tokens) assert.ok(seen(`#define MY_MASK (${name} | 1)\n`), `${rule.id}: the token ${name}`);
    for (const header of rule.matches.includes) assert.ok(seen(`#include <${header}>\n`), `${rule.id}: #include <${header}>`);
    assert.equal(
      seen('#include <linux/fs.h>\nvoid f(void)\n{\n\tp = my_alloc(0, 1);\n}\n'),
      false,
      `${rule.id} matches nothing of a file that names none of its matches`,
    );
  }
});

test('a rule that does not use the calling context never reads it and anchors no simulated verdict', async () => {
  const parser = await getParser();
  const quiet = RULES.filter((r) => !r.usesContext);
  assert.ok(quiet.length > 0 && quiet.length < RULES.length);
  let findings = 0;
  for (const { file, text } of ourSources()) {
    const parsed = parser.parse(text);
    try {
      const facts = new FileFacts(parsed, file);
      const shared = new SharedAnalyses(facts, {});
      Object.defineProperty(shared, 'context', {
        get() {
          throw new Error('read the calling context');
        },
      });
      for (const rule of quiet) {
        const out = rule.check({ facts, env: {}, shared });
        findings += out.length;
        assert.ok(
          out.every((f) => !f.simulate),
          `${rule.id} anchors a simulated verdict in ${file}`,
        );
      }
    } finally {
      parsed.dispose();
    }
  }
  assert.ok(findings > 50, `${findings} findings of context-free rules checked`);
});

/** Every function name defined in `sources`: the names the summary tests ask about. */
async function definedNames(sources: readonly { file: string; text: string }[]): Promise<Set<string>> {
  const parser = await getParser();
  const defined = new Set<string>();
  for (const { file, text } of sources) {
    const parsed = parser.parse(text);
    try {
      for (const f of new FileFacts(parsed, file).functions) defined.add(f.name);
    } finally {
      parsed.dispose();
    }
  }
  return defined;
}

/**
 * What a summary says about `names` (all a cross-file pass reads), without the file's own context-sensitive list,
 * nor its parts about calls through struct fields: pass 1b is not asked for those (the plan keeps pass 1's, and
 * the fields stored in what pass 1 left unread stay unresolved: FileSummary.unreadStores).
 */
function about(s: FileSummary, names: string[]) {
  const {
    contextSensitive: _,
    fieldBindings: _b,
    structFields: _t,
    sleepers: _s,
    atomicFieldCalls: _a,
    unreadStores: _u,
    ...rest
  } = focusSummaries([s], new Set(names))[0];
  return rest;
}

test('pass 1b facts (only the functions that name the asked-for names, and their callers) give the same summary about those names', async () => {
  const parser = await getParser();
  const sources = ourSources();
  const defined = await definedNames(sources);
  let compared = 0;
  let leftOut = 0;
  let parsedBytes = 0;
  let allBytes = 0;
  // A file the cut gives up on is parsed whole: its one included range ends at 2^32 - 1, so count to its end.
  const partialBytes = (p: ParsedFile) => p.tree.getIncludedRanges().reduce((a, r) => a + Math.min(r.endIndex, p.text.length) - r.startIndex, 0);
  for (const { file, text } of sources) {
    const parsed = parser.parse(text);
    try {
      const full = summarizeFile(new FileFacts(parsed, file));
      const all = [...defined];
      // Every name at once, then each name the file mentions alone (few needed functions, many left out).
      const sets = [
        all,
        ...all
          .filter((n) => mentionTest([n])(text))
          .slice(0, 25)
          .map((n) => [n]),
      ];
      for (const names of sets) {
        const facts = new FileFacts(parsed, file, undefined, names);
        leftOut += new FileFacts(parsed, file).functions.length - facts.functions.length;
        const what = `${file}, about ${names.length === 1 ? names[0] : 'every name'}`;
        assert.deepEqual(about(summarizeFile(facts), names), about(full, names), what);
        // The CLI parses only the items those facts need: the same summary again.
        const partial = parseForSummary(parser, text, names);
        try {
          assert.deepEqual(about(summarizeFile(new FileFacts(partial, file, undefined, names)), names), about(full, names), `${what}, partial parse`);
          parsedBytes += partial.root.endIndex > 0 ? partialBytes(partial) : 0;
          allBytes += text.length;
        } finally {
          partial.dispose();
        }
        compared++;
      }
    } finally {
      parsed.dispose();
    }
  }
  assert.ok(compared > 150 && leftOut > 500, `${compared} summaries compared, ${leftOut} functions left out`);
  assert.ok(parsedBytes < allBytes / 2, `partial parses read ${parsedBytes} of ${allBytes} characters`);
});

test('pass 1 parses only what findings can come from: the same findings as the whole file, and with pass 1b the same summary', async () => {
  const parser = await getParser();
  const seed = triggerTest([...RULES, { triggers: [...CONTEXT_ANCHORS] }]);
  const sources = ourSources();
  const defined = await definedNames(sources);
  const wholeFile = triggerTest(RULES.filter((r) => r.readsWholeFile));
  const shown = (findings: Finding[]) =>
    findings.map((f) => JSON.stringify({ rule: f.rule, span: f.span, message: f.message, related: f.related, fixes: f.fixes }));
  let findings = 0;
  let deferred = 0;
  let merged = 0;
  // gfp-buffer weighs the types a file uses anywhere: here only in a function without GFP_BUFFER.
  const wholeFileCase = {
    file: 'drivers/partial/wholefile.c',
    text: 'static struct super_block *sb_of(struct inode *i)\n{\n\treturn i->i_sb;\n}\n\nstatic void *grab(int n)\n{\n\treturn kmalloc(n, GFP_BUFFER);\n}\n',
  };
  for (const { file, text } of [...sources, wholeFileCase]) {
    const full = parser.parse(text);
    const partial = analyzeInPart(parser, text, file, { seed, wholeFile }, {});
    try {
      const expected = analyze(new FileFacts(full, file)).findings;
      assert.deepEqual(shown(partial.findings), shown(expected), `${file}: findings`);
      findings += expected.length;
      deferred += partial.deferred.length;
      const fullSummary = summarizeFile(new FileFacts(full, file));
      const firstFacts = new FileFacts(partial.parsed, file);
      const first = summarizeFile(firstFacts);
      assert.deepEqual(first.contextSensitive, fullSummary.contextSensitive, `${file}: context-sensitive functions`);
      const all = [...defined];
      for (const names of [
        all,
        ...all
          .filter((n) => mentionTest([n])(text))
          .slice(0, 10)
          .map((n) => [n]),
      ]) {
        const what = `${file}, about ${names.length === 1 ? names[0] : 'every name'}`;
        if (!partial.deferred.length) {
          assert.deepEqual(about(first, names), about(fullSummary, names), what);
          continue;
        }
        const more = parseForSummary(parser, text, names, partial.deferred);
        try {
          const facts = new FileFacts(more, file, undefined, names);
          // As the CLI does: static functions that either pass parsed.
          const statics = new Set([...facts.functions, ...firstFacts.functions].filter((f) => f.isStatic).map((f) => f.name));
          const whole = mergeSummaries(focusSummaries([first], new Set(names))[0], summarizeFile(facts), statics);
          assert.deepEqual(about(whole, names), about(fullSummary, names), `${what}, passes 1 and 1b`);
          merged++;
        } finally {
          more.dispose();
        }
      }
    } finally {
      full.dispose();
      partial.parsed.dispose();
    }
  }
  assert.ok(findings > 80 && deferred >= 10 && merged >= 20, `${findings} findings, ${deferred} functions left out, ${merged} summaries merged`);
});

test('partial parses take any bytes: mutated, truncated and binary sources parse and analyze without throwing', async () => {
  const { loadCorpus, mutant, rand } = await import('../fuzz/mutate');
  const parser = await getParser();
  const seed = triggerTest([...RULES, { triggers: [...CONTEXT_ANCHORS] }]);
  const r = rand(1125);
  const corpus = loadCorpus();
  const texts = ['', '}', '{{{', 'int f(void) {', '#if 0\nint f(void) {\n#endif\n', '\0\u00ff\ufffd'.repeat(50), "int f(void) { char c = '\\''; return c; }\n"];
  for (let i = 0; i < 200; i++) texts.push(mutant(r, corpus).text);
  let partial = 0;
  for (const text of texts) {
    const rules = parseForRules(parser, text, seed);
    try {
      if (rules.deferred.length) partial++;
      analyze(new FileFacts(rules.parsed, 'fuzz.c'));
    } finally {
      rules.parsed.dispose();
    }
    const summary = parseForSummary(parser, text, ['kmalloc', 'f', 'probe'], rules.deferred.length ? rules.deferred : undefined);
    try {
      summarizeFile(new FileFacts(summary, 'fuzz.c', undefined, ['kmalloc', 'f', 'probe']));
    } finally {
      summary.dispose();
    }
  }
  assert.ok(partial >= 15, `${partial} of ${texts.length} inputs parsed in part`);
});

test('top-level items cover the text, hold whole definitions, and give up where a cut would be a guess', async () => {
  const parser = await getParser();
  let functions = 0;
  for (const { file, text } of ourSources()) {
    const parsed = parser.parse(text);
    try {
      const items = topLevelItems(parsed.parsedText);
      // broken-callee.c is written with `#ifdef` branches that each open a brace: the cut must give up there.
      if (file.endsWith('sleep-in-atomic/broken-callee.c')) {
        assert.equal(items, null, `${file}: no cut guessed`);
        continue;
      }
      assert.ok(items, `${file}: cut into items`);
      assert.equal(items[0]?.start ?? 0, 0);
      for (let i = 1; i < items.length; i++) assert.equal(items[i].start, items[i - 1].end, `${file}: items are contiguous`);
      assert.equal(items[items.length - 1]?.end ?? 0, text.length);
      for (const fn of scanTopLevel(parsed.root).functions) {
        const inside = items.find((it) => it.start <= fn.startIndex && fn.startIndex < it.end)!;
        assert.ok(inside.kind === 'function' && fn.endIndex <= inside.end, `${file}: the function at ${fn.startIndex} lies in one item`);
        functions++;
      }
    } finally {
      parsed.dispose();
    }
  }
  assert.ok(functions > 100, `${functions} functions`);
  // (Blanks between items are items of their own.)
  const kinds = (t: string) =>
    topLevelItems(t)
      ?.map((it) => `${it.kind}:${t.slice(it.start, it.end).trim()}`)
      .filter((k) => k !== 'code:');
  assert.deepEqual(kinds('#ifdef X\nint a;\n#endif\n#define Y { \\\n }\nstruct s { int b; } v;\nint f(void) { return "}" [0]; }\n'), [
    'conditional:#ifdef X',
    'code:int a;',
    'conditional:#endif',
    'directive:#define Y { \\\n }',
    'code:struct s { int b; } v;',
    'function:int f(void) { return "}" [0]; }',
  ]);
  // One function opened twice under #ifdef, a K&R parameter list, a truncated body: whole-file parses.
  assert.equal(topLevelItems('#ifdef A\nint f(int a) {\n#else\nint f(void) {\n#endif\n\treturn 0;\n}\n'), null);
  assert.equal(topLevelItems('int f(a)\nint a;\n{\n\treturn a;\n}\n'), null);
  assert.equal(topLevelItems('int f(void) {\n\treturn 0;\n'), null);
});

test('a file with no lock, context test, registration, timer function or pt_regs cannot make code atomic by itself (pass 1b then skips callers)', async () => {
  const { mayRunAtomic } = await import('../../core/context/atomic-sources');
  for (const t of [
    'spin_lock(&l);',
    'x = read_lock_irqsave(&l, f);',
    'local_irq_save(flags);',
    'cli();',
    'if (in_interrupt()) return;',
    'request_irq(irq, h, 0, "x", d);',
    'tasklet_init(&t, f, 0);',
    't.function = tick;',
    'dev->timer . function = tick;',
    'void h(int irq, void *id, struct pt_regs *regs)',
  ])
    assert.equal(mayRunAtomic(t), true, t);
  for (const t of ['x = kmalloc(n, GFP_KERNEL);', 'spin_lock_init(&l);', 'my_function(a);', 'int functional;']) assert.equal(mayRunAtomic(t), false, t);
  // With no such source, every summary call is in process context: the relevance tests above compare
  // the summaries such files give, with and without their callers parsed.
  const parser = await getParser();
  let quiet = 0;
  for (const { file, text } of ourSources()) {
    if (mayRunAtomic(text)) continue;
    const parsed = parser.parse(text);
    try {
      assert.deepEqual(
        summarizeFile(new FileFacts(parsed, file)).calls.filter((c) => c.atomic !== null),
        [],
        `${file}: an atomic call without a source`,
      );
      quiet++;
    } finally {
      parsed.dispose();
    }
  }
  assert.ok(quiet > 5, `${quiet} sources without an atomic source`);
});

test('one scan of a file finds the same items as the item-by-item text test (triggerSpans, atomicSourceSpans)', () => {
  const rulesTest = triggerTest(RULES);
  const rulesSpans = triggerSpans(RULES);
  let items = 0;
  let atomic = 0;
  const check = (text: string, what: string) => {
    const cut = topLevelItems(text);
    if (!cut) return;
    const inside = (spans: [number, number][], item: { start: number; end: number }) => spans.some(([s, e]) => item.start <= s && e <= item.end);
    const sources = atomicSourceSpans(text);
    const triggers = rulesSpans(text);
    for (const item of cut) {
      const itemText = text.slice(item.start, item.end);
      items++;
      if (mayRunAtomic(itemText)) atomic++;
      assert.equal(inside(sources, item), mayRunAtomic(itemText), `${what}: mayRunAtomic of the item at ${item.start}`);
      assert.equal(inside(triggers, item), rulesTest(itemText), `${what}: triggerTest of the item at ${item.start}`);
    }
  };
  for (const { file, text } of ourSources()) check(text, file);
  // Glued and bordering names: a trigger after a number or a directive word, inside a longer name, at an item's edge.
  check(
    'int a = 0x1fspin_lock;\nvoid f(void) { xspin_lock(&l); }\n#definespin_lock_irq(x) x\nvoid g(void) { t.function = h; }\nvoid k(void){spin_lock(&l);}',
    'glued',
  );
  assert.ok(items > 1000 && atomic > 100, `${items} items, ${atomic} that can make code atomic`);
});
