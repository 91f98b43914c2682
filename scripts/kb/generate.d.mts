// Types of scripts/kb/generate.mjs for the tests that import it.
import type { KnowledgeBase } from '../../core/kernel/kb';

export function compareVersions(a: string, b: string): number;
export function blankComments(text: string): string;
export function scanHeader(text: string): { defines: { name: string; params: string | null; body: string; line: number }[]; code: string };
export function topLevelStatements(code: string): { text: string; start: number; body: boolean; lead: number }[];
export function evaluate(body: string, lookup: (name: string, seen: Set<string>) => number | null, seen?: Set<string>): number | null;
export function generate(treesDir: string): KnowledgeBase & { comment: string };
