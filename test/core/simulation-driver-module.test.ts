/** Which code a module build never compiles: the driver lifetime reports nothing held at exit from there. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { builtInOnlyRanges } from '../../core/simulation/driver';

/** The lines of `text` inside a built-in-only range. */
function builtInLines(text: string): string[] {
  const ranges = builtInOnlyRanges(text);
  let at = 0;
  return text.split('\n').filter((line) => {
    const start = at;
    at += line.length + 1;
    return ranges.some(([a, b]) => start >= a && start < b) && !line.startsWith('#');
  });
}

test('#ifndef MODULE, #if !defined(MODULE) and the #else of #ifdef MODULE are built-in only; nested and other #ifs are followed', () => {
  const text = [
    '#ifdef MODULE',
    'module_a();',
    '#else',
    'builtin_a();',
    '#endif',
    '#ifndef MODULE',
    '#ifdef CONFIG_PCI',
    'builtin_pci();',
    '#endif',
    '#else',
    'module_b();',
    '#endif',
    '#if !defined(MODULE)',
    'builtin_c();',
    '#elif defined(CONFIG_X)',
    'module_x();',
    '#endif',
    '#if defined(MODULE)',
    'module_c();',
    '#else',
    'builtin_d();',
    '#endif',
    '#ifdef CONFIG_Y',
    'either();',
    '#else',
    'either_too();',
    '#endif',
  ].join('\n');
  assert.deepEqual(builtInLines(text), ['builtin_a();', 'builtin_pci();', 'builtin_c();', 'builtin_d();']);
});
