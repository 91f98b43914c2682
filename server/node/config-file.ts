/** `.kport.json` at the workspace root (or any parent of a checked path): rule on/off and severity. */
import fs from 'node:fs';
import path from 'node:path';
import { parseConfig, RULE_IDS, type KportConfig } from '../../core';

export const CONFIG_FILE = '.kport.json';

export function loadConfigFile(file: string): { config?: KportConfig; problems: string[] } {
  let raw: string;
  try {
    raw = fs.readFileSync(file, 'utf8');
  } catch (e) {
    return { problems: [`${file}: ${(e as Error).message}`] };
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (e) {
    return { problems: [`${file}: not valid JSON (${(e as Error).message})`] };
  }
  const { config, problems } = parseConfig(json, RULE_IDS);
  return { config, problems: problems.map((p) => `${file}: ${p}`) };
}

/** The nearest `.kport.json` at or above `start`. */
export function findConfigFile(start: string): string | undefined {
  let dir = path.resolve(start);
  for (let i = 0; i < 64; i++) {
    const candidate = path.join(dir, CONFIG_FILE);
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
  return undefined;
}
