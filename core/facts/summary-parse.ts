/**
 * The parse behind a summary that only has to be right about some function names (the CLI's pass
 * 1b): the file's top-level items that name one of them, then the items that name a function among
 * those (its callers, and where it is registered or stored), until nothing new is named, as
 * functionsNaming chooses functions. The top-level conditionals are kept too, so `#if 0` regions stay
 * dead; other directives (defines, includes) are not: a summary reads neither.
 *
 * The facts FileFacts builds from it with `summaryFor` are those it builds from the whole file: the
 * same functions, each parsed the same way, because an item starts where tree-sitter is at the top
 * level in both. A file that topLevelItems cannot cut is parsed whole.
 */
import { neutralize } from '../parse/neutralize';
import type { CParser, ParsedFile } from '../parse/parser';
import { topLevelItems } from '../parse/top-level-items';
import { mentionTest } from '../relevance';
import { definitionName, scanTopLevel } from './build-ir';

export function parseForSummary(parser: CParser, text: string, names: readonly string[]): ParsedFile {
  const parsedText = neutralize(text).text;
  const items = topLevelItems(parsedText);
  if (!items) return parser.parse(text);
  const chosen = items.map((item) => item.kind === 'conditional');
  const chosenItems = () => items.filter((_, i) => chosen[i]);
  // Mentions are looked for in the user's text, as functionsNaming does.
  const choose = (test: (text: string) => boolean): number[] => {
    const fresh: number[] = [];
    items.forEach((item, i) => {
      if (!chosen[i] && item.kind === 'code' && test(text.slice(item.start, item.end))) {
        chosen[i] = true;
        fresh.push(i);
      }
    });
    return fresh;
  };
  const seen = new Set<string>();
  const newNames = (tree: ParsedFile): string[] => {
    const added: string[] = [];
    for (const fn of scanTopLevel(tree.root).functions) {
      const name = definitionName(fn);
      if (name && !seen.has(name)) {
        seen.add(name);
        added.push(name);
      }
    }
    return added;
  };

  choose(mentionTest(names));
  // Most files need one round: this parse of everything chosen is then the answer.
  let final: ParsedFile | null = parser.parseItems(text, parsedText, chosenItems());
  let added = newNames(final);
  for (;;) {
    const fresh = added.length ? choose(mentionTest(added)) : [];
    if (fresh.length === 0) return final ?? parser.parseItems(text, parsedText, chosenItems());
    final?.dispose();
    final = null;
    // Later rounds only need the names the new items define.
    const probe = parser.parseItems(text, parsedText, fresh.map((i) => items[i]));
    try {
      added = newNames(probe);
    } finally {
      probe.dispose();
    }
  }
}
