/** The target kernel (setting `target`): names and fixes follow the knowledge base for every release kport knows. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze, FileFacts, parseConfig, RULE_IDS } from '../../core';
import { kbSymbol } from '../../core/kernel/kb';
import { nameFor, presentIn, resolveTarget, TARGETS, textFor } from '../../core/kernel/target';
import { diskEnv } from '../../server/node/headers';
import { getParser } from '../support/core';
import { loadFixtures } from '../support/fixtures';

test("targets: the article's 2.6 first, then the releases of the table; anything else is a problem, not a throw", () => {
  assert.deepEqual(TARGETS.slice(0, 3), ['2.6', '2.6.11', '2.6.32']);
  assert.ok(TARGETS.includes('6.1'));
  assert.deepEqual(resolveTarget(6.1), { target: '6.1' });
  assert.deepEqual(resolveTarget(undefined), { target: '2.6' });
  assert.match(resolveTarget('2.6.18').problem ?? '', /not one of 2\.6, 2\.6\.11, .*6\.1: using 2\.6/);
  const { config, problems } = parseConfig({ target: '4.19' }, RULE_IDS);
  assert.equal(config.target, '4.19');
  assert.deepEqual(problems, []);
  assert.equal(parseConfig({ target: 'linus' }, RULE_IDS).config.target, undefined);
});

test('names: each removed name maps to what the target has, a dropped flag leaves its mask', () => {
  assert.deepEqual(nameFor('__GFP_REPEAT', '4.4').name, '__GFP_REPEAT');
  assert.deepEqual(nameFor('__GFP_REPEAT', '6.1').name, '__GFP_RETRY_MAYFAIL');
  assert.equal(nameFor('__GFP_COLD', '6.1').name, null);
  assert.equal(nameFor('kmem_cache_t', '2.6.11').name, 'kmem_cache_t');
  assert.equal(nameFor('kmem_cache_t', '3.10').name, 'struct kmem_cache');
  assert.deepEqual(textFor('GFP_KERNEL | __GFP_COLD', '6.1').text, 'GFP_KERNEL');
  assert.deepEqual(textFor('__GFP_COLD | GFP_KERNEL', '6.1').text, 'GFP_KERNEL');
  assert.deepEqual(textFor('GFP_NOIO | __GFP_REPEAT', '6.1').text, 'GFP_NOIO | __GFP_RETRY_MAYFAIL');
  assert.equal(textFor('__GFP_COLD', '6.1').text, null);
  assert.ok(presentIn('GFP_KERNEL', '6.1') && !presentIn('__GFP_COLD', '6.1') && presentIn('__GFP_COLD', '4.4'));
});

test('no fix of any rule fixture, for any target, writes a name that target lacks', async () => {
  const parser = await getParser();
  for (const fx of loadFixtures()) {
    const parsed = parser.parse(fx.text);
    const facts = new FileFacts(parsed, fx.virtualPath);
    for (const target of TARGETS) {
      const { findings } = analyze(facts, { env: diskEnv(facts, fx.file), config: { rules: {}, target } });
      for (const f of findings)
        for (const fix of f.fixes)
          for (const e of fix.edits)
            for (const name of e.newText.match(/[A-Za-z_]\w*/g) ?? [])
              if (kbSymbol(name))
                assert.ok(presentIn(name, target), `${fx.virtualPath} for ${target}: "${fix.title}" writes ${name}, which ${target} does not declare`);
    }
    parsed.dispose();
  }
});

test('cold-page-dma is off for targets without __GFP_COLD; the later-kernel rules are off for the default target', async () => {
  const parser = await getParser();
  const fx = loadFixtures('cold-page-dma')[0];
  const parsed = parser.parse(fx.text);
  const facts = new FileFacts(parsed, fx.virtualPath);
  const rules = (target?: string) => new Set(analyze(facts, { config: { rules: {}, ...(target ? { target } : {}) } }).findings.map((f) => f.rule));
  assert.ok(rules().has('cold-page-dma') && rules('4.4').has('cold-page-dma'));
  assert.ok(!rules('4.19').has('cold-page-dma') && !rules('6.1').has('cold-page-dma'));
  parsed.dispose();
  const ring = loadFixtures('removed-in-target')[0];
  const p2 = parser.parse(ring.text);
  const f2 = new FileFacts(p2, ring.virtualPath);
  assert.ok(!analyze(f2, {}).findings.some((f) => f.rule === 'removed-in-target'));
  assert.ok(analyze(f2, { config: { rules: {}, target: '6.1' } }).findings.some((f) => f.rule === 'removed-in-target'));
  p2.dispose();
});

test('a fix text that tests __GFP_WAIT gets the tested form at a target without it; one that sets it, the set form', () => {
  // The caller says where the text's names are tested (analyze() asks testedOrCleared on the file as the edit leaves it).
  const testedAt = (text: string) => (offset: number) => /&\s*$/.test(text.slice(0, offset));
  const tests = 'if (gfp & __GFP_WAIT)';
  assert.equal(textFor(tests, '6.1', testedAt(tests)).text, 'if (gfp & __GFP_DIRECT_RECLAIM)');
  const sets = 'GFP_NOIO | __GFP_WAIT';
  assert.equal(textFor(sets, '6.1', testedAt(sets)).text, 'GFP_NOIO | __GFP_RECLAIM');
  assert.equal(textFor(tests, '6.1').text, 'if (gfp & __GFP_RECLAIM)');
});
