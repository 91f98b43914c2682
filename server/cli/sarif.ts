/** SARIF 2.1.0 for GitHub code scanning and other viewers: rules with help, results with fixes. */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { RULES, type Severity } from '../../core';
import { docsDir } from '../node/wasm';
import type { FileReport, Region, ReportFinding } from '../check/process-file';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', info: 'note', hint: 'note' };

interface SarifRegion {
  startLine: number;
  startColumn?: number;
  endLine?: number;
  endColumn?: number;
}

function sarifRegion(r: Region): SarifRegion {
  return { startLine: r.start.line, startColumn: r.start.column, endLine: r.end.line, endColumn: r.end.column };
}

/** Relative to the base directory with uriBaseId SRCROOT when below it, else an absolute file URI. */
function artifactLocation(file: string, base: string): { uri: string; uriBaseId?: string } {
  const abs = path.resolve(file);
  const rel = path.relative(base, abs);
  if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) {
    return { uri: rel.split(path.sep).map(encodeURIComponent).join('/'), uriBaseId: 'SRCROOT' };
  }
  return { uri: pathToFileURL(abs).href };
}

function ruleDoc(id: string): { uri: string; markdown?: string } {
  const file = path.join(docsDir(), `${id}.md`);
  let markdown: string | undefined;
  try {
    markdown = fs.readFileSync(file, 'utf8');
  } catch {
    /* the doc is missing: the summary stays */
  }
  return { uri: pathToFileURL(file).href, markdown };
}

export interface SarifOptions {
  /** Base directory that SRCROOT stands for (default: the working directory). */
  base?: string;
  version?: string;
  /** I/O errors and warnings, as tool execution notifications. */
  notifications?: { file?: string; message: string; level: 'error' | 'warning' }[];
}

export function formatSarif(reports: readonly FileReport[], opts: SarifOptions = {}): object {
  const base = path.resolve(opts.base ?? process.cwd());
  const ruleIndex = new Map(RULES.map((r, i) => [r.id, i]));
  const rules = RULES.map((r) => {
    const doc = ruleDoc(r.id);
    return {
      id: r.id,
      name: r.id.replace(/(^|-)(\w)/g, (_m, _d, c: string) => c.toUpperCase()),
      shortDescription: { text: r.summary },
      fullDescription: { text: r.summary.replace(/[^.]$/, '$&.') + (r.deprecated ? ' The API is gone in Linux 2.6.' : '') },
      helpUri: doc.uri,
      ...(doc.markdown ? { help: { text: doc.markdown, markdown: doc.markdown } } : {}),
      defaultConfiguration: { level: LEVEL[r.severity] },
      properties: { tags: ['linux-2.6-porting', ...(r.deprecated ? ['deprecated'] : [])], kportSeverity: r.severity },
    };
  });
  const results = reports.flatMap((rep) =>
    rep.findings.map((f: ReportFinding) => {
      const loc = artifactLocation(rep.file, base);
      const result: Record<string, unknown> = {
        ruleId: f.rule,
        ...(ruleIndex.has(f.rule) ? { ruleIndex: ruleIndex.get(f.rule) } : {}),
        level: LEVEL[f.severity],
        message: { text: f.message },
        locations: [{ physicalLocation: { artifactLocation: loc, region: sarifRegion(f) } }],
      };
      if (f.related.length) {
        result.relatedLocations = f.related.map((r, id) => ({
          id,
          message: { text: r.message },
          physicalLocation: {
            artifactLocation: r.file ? artifactLocation(r.file, base) : loc,
            region: r.region ? sarifRegion(r.region) : { startLine: r.line ?? 1 },
          },
        }));
      }
      if (f.fix) {
        result.fixes = [
          {
            description: { text: f.fix.title },
            artifactChanges: [
              {
                artifactLocation: loc,
                replacements: f.fix.edits.map((e) => ({ deletedRegion: sarifRegion(e), insertedContent: { text: e.newText } })),
              },
            ],
          },
        ];
      }
      if (f.tags.length) result.properties = { tags: f.tags, ...(f.dead ? { dead: true } : {}) };
      return result;
    }),
  );
  const notifications = opts.notifications ?? [];
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'kport', semanticVersion: opts.version ?? '0.0.0', rules } },
        originalUriBaseIds: { SRCROOT: { uri: pathToFileURL(base + path.sep).href } },
        columnKind: 'utf16CodeUnits',
        invocations: [
          {
            executionSuccessful: !notifications.some((n) => n.level === 'error'),
            toolExecutionNotifications: notifications.map((n) => ({
              level: n.level,
              message: { text: n.message },
              ...(n.file ? { locations: [{ physicalLocation: { artifactLocation: artifactLocation(n.file, base) } }] } : {}),
            })),
          },
        ],
        results,
      },
    ],
  };
}
