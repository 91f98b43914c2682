/**
 * The index host: a child node (runIndexHost forks it, with POOL_V8_FLAGS) that runs the workspace index (buildIndex: the check plan over its own
 * pool of workers, the result cache) and hands the main thread only what it keeps: the tree's focused
 * summaries, or for a workspace check the findings. Pass 1's reports, the cache and their garbage stay
 * here, so the editor's process neither deserializes thousands of reports nor collects them.
 */
import type { FileSummary } from '../../core';
import { definedBeside, definedInRun } from '../check/dead-code';
import { PauseGate } from '../node/pause-gate';
import { lowerPriority } from '../node/thread-priority';
import { buildIndex, indexedFiles, type IndexHostMessage, type IndexRequest, type MainToIndexHost } from './indexer';

/**
 * Summaries cross to the main thread this many at a time, the next only once the main thread has taken the last
 * in: each chunk is one short task there (a few ms), with the editor's messages handled between two.
 */
const SUMMARY_CHUNK = 200;
/**
 * Long text (the workspace's macro names, 4.3 MB on 2.4.22) crosses in pieces of this many characters: node 20 reads
 * a message over the advanced-serialization channel by concatenating its chunks as they arrive, so one 4.3 MB
 * message blocked the editor's main thread 56-61 ms (Buffer.concat, bench/index-main-thread.ts), 256 K pieces 6-16.
 */
const TEXT_PIECE = 256 * 1024;
/** Progress goes to the main thread at most this often (and at the end of each pass): not one message per file. */
const PROGRESS_MS = 100;

// Below the editor, above the workers: a hold the server sends reaches the gate at once (at nice 19, beside two busy
// workers, p50 5 ms later; at 10, 1-2 ms), and the host's own work (the plan between passes, the cache) gives way to the editor.
lowerPriority(10);
let taken: () => void = () => undefined;
const pause = new PauseGate();
/** How long each hold took to reach the gate (the server's clock to this one's: one machine). */
const holdLatencies: number[] = [];
const send = (m: IndexHostMessage) => process.send?.(m);
process.on('message', (m: MainToIndexHost) => {
  if (m.kind === 'start') run(m.req);
  else if (m.kind === 'taken') taken();
  else if (m.kind === 'hold') {
    pause.holdFor(m.ms);
    if (m.ms > 0) holdLatencies.push(performance.timeOrigin + performance.now() - m.sentAt);
  }
});
// The language server went away (or let go of this run): nothing is left to do.
process.on('disconnect', () => process.exit(0));

/** Sends `message` and waits until the main thread has taken it in. */
function sendTaken(message: IndexHostMessage): Promise<void> {
  const next = new Promise<void>((resolve) => (taken = resolve));
  send(message);
  return next;
}

async function handOver(summaries: readonly FileSummary[]): Promise<void> {
  for (let i = 0; i < summaries.length; i += SUMMARY_CHUNK) await sendTaken({ kind: 'summaries', summaries: summaries.slice(i, i + SUMMARY_CHUNK) });
}

async function handOverMacros(names: string): Promise<void> {
  for (let i = 0; i < names.length; i += TEXT_PIECE) await sendTaken({ kind: 'macros', piece: names.slice(i, i + TEXT_PIECE) });
}

function percentiles(xs: number[]): { p50: number; p99: number; n: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { p50: at(0.5), p99: at(0.99), n: s.length };
}

function run(req: IndexRequest): void {
  let lastProgress = 0;
  const listStart = performance.now();
  let files: string[];
  try {
    files = indexedFiles(req.root, req.settings);
  } catch (e) {
    send({ kind: 'failed', error: `listing ${req.root}: ${(e as Error).message}` });
    return;
  }
  const listSeconds = (performance.now() - listStart) / 1000;
  const running = buildIndex(
    files,
    req.settings,
    req.config,
    req.cacheFile,
    {
      pause: pause.cell,
      onProgress: (pass, done, total, bytes) => {
        const now = performance.now();
        if (now - lastProgress < PROGRESS_MS && done > 0 && done < total) return;
        lastProgress = now;
        send({ kind: 'progress', pass, done, total, bytes });
      },
    },
    req.goal,
  );
  // An index reads the macro names the files beside the workspace's define while the workers start, not after the passes.
  const beside = req.goal === 'findings' ? undefined : definedBeside(files);
  running
    .then(async (result) => {
      // A workspace check hands back findings only where there are some; an index, no reports at all.
      const reports = req.goal === 'findings' ? result.reports.filter((r) => r.findings.length || r.error) : [];
      // An index also says which macros the workspace defines (a finding in `#ifdef X` that nothing defines is dead).
      const definedMacros = req.goal === 'findings' ? undefined : definedInRun(result.reports, beside);
      let unsummarized: string[] | undefined;
      if (req.goal === 'summaries') {
        const t = performance.now();
        await handOver(result.summaries);
        if (result.split) result.split.handOverMs = performance.now() - t;
        const summarized = new Set(result.summaries.map((x) => x.path));
        unsummarized = files.filter((f) => !summarized.has(f));
      }
      if (definedMacros) await handOverMacros(definedMacros);
      send({
        kind: 'done',
        run: {
          ...result,
          summaries: [],
          reports,
          listSeconds,
          hostPeakRssMb: process.resourceUsage().maxRSS / 1024,
          heldSeconds: pause.heldMs / 1000,
          ...(holdLatencies.length ? { holdLatencyMs: percentiles(holdLatencies) } : {}),
          ...(unsummarized ? { unsummarized } : {}),
        },
        sentAt: performance.timeOrigin + performance.now(),
      });
    })
    .catch((e) => send({ kind: 'failed', error: e instanceof Error ? e.message : String(e) }));
}
