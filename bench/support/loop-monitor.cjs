// Preloaded into the language server by bench/index-main-thread.ts (NODE_OPTIONS=--require): every 250 ms, the
// main thread's own busy time (event-loop utilization), its longest block (event-loop delay) and GC, as JSON
// lines appended to $KPORT_LOOP_MONITOR. Worker threads are left alone, and so is every process but the server
// (`kport lsp`): the index host is forked with the server's environment, NODE_OPTIONS included, and its blocks
// (reading and writing the index cache, serializing the index) were counted as the server's.
const { isMainThread } = require('node:worker_threads');
const out = process.env.KPORT_LOOP_MONITOR;
if (isMainThread && out && process.argv.includes('lsp')) {
  const fs = require('node:fs');
  const { monitorEventLoopDelay, performance, PerformanceObserver } = require('node:perf_hooks');
  const delay = monitorEventLoopDelay({ resolution: 2 });
  delay.enable();
  let gcMs = 0;
  let gcMax = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcMs += e.duration;
      gcMax = Math.max(gcMax, e.duration);
    }
  }).observe({ entryTypes: ['gc'] });
  let last = performance.eventLoopUtilization();
  const t0 = performance.now();
  setInterval(() => {
    const now = performance.eventLoopUtilization();
    const u = performance.eventLoopUtilization(now, last);
    last = now;
    const line = {
      t: Math.round(performance.now() - t0),
      busyMs: Math.round(u.active),
      maxBlockMs: +(delay.max / 1e6).toFixed(1),
      gcMs: Math.round(gcMs),
      gcMaxMs: +gcMax.toFixed(1),
    };
    fs.appendFileSync(out, `${JSON.stringify(line)}\n`);
    delay.reset();
    gcMs = 0;
    gcMax = 0;
  }, 250).unref();
}
