/** The server's task lines (KPORT_TRACE=1, server/lsp/server.ts TaskTrace): a task of 2 ms or more, or a collection. */
export interface ServerTask {
  name: string;
  /** Start on the wall clock (performance.timeOrigin + now, in ms). */
  start: number;
  ms: number;
}

/** The task a log message reports ("kport: task NAME at START took MS ms"), if it is one. */
export function serverTask(message: string): ServerTask | undefined {
  const m = /^kport: task (\S+) at ([\d.]+) took ([\d.]+) ms/.exec(message);
  return m ? { name: m[1], start: Number(m[2]), ms: Number(m[3]) } : undefined;
}
