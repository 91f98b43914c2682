/**
 * The index host: a worker thread that runs the workspace index (buildIndex: the check plan over its own
 * pool of workers, the result cache) and hands the main thread only what it keeps: the tree's focused
 * summaries, or for a workspace check the findings. Pass 1's reports, the cache and their garbage stay
 * here, so the editor's main thread neither deserializes thousands of reports nor collects them.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { definedInRun } from '../check/dead-code';
import { lowerPriority } from '../node/thread-priority';
import { buildIndex, type IndexHostHold, type IndexHostMessage, type IndexRequest } from './indexer';

const port = parentPort!;
const req = workerData as IndexRequest;
lowerPriority(19);
let hold: (ms: number) => void = () => undefined;
port.on('message', (m: IndexHostHold) => {
  if (m.kind === 'hold') hold(m.ms);
});
buildIndex(
  req.files,
  req.settings,
  req.config,
  req.cacheFile,
  {
    onProgress: (pass, done, total, bytes) => port.postMessage({ kind: 'progress', pass, done, total, bytes } satisfies IndexHostMessage),
    holder: (h) => (hold = h),
  },
  req.goal,
).then(
  (run) => {
    // A workspace check hands back findings only where there are some; an index, no reports at all.
    const reports = req.goal === 'findings' ? run.reports.filter((r) => r.findings.length || r.error) : [];
    // An index also says which macros the workspace defines (a finding in `#ifdef X` that nothing defines is dead).
    const definedMacros = req.goal === 'findings' ? undefined : definedInRun(run.reports);
    port.postMessage({ kind: 'done', run: { ...run, reports, ...(definedMacros ? { definedMacros } : {}) } } satisfies IndexHostMessage);
  },
  (e) => port.postMessage({ kind: 'failed', error: e instanceof Error ? e.message : String(e) } satisfies IndexHostMessage),
);
