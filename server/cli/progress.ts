/** A one-line progress bar on stderr: only on a TTY, never on CI, and only once a run lasts. */
export class Progress {
  private last = 0;
  private shown = false;
  private phaseName = '';
  private phaseStart: number;

  constructor(
    private readonly stream: { write(s: string): unknown; columns?: number },
    private readonly enabled: boolean,
    private readonly started = Date.now(),
  ) {
    this.phaseStart = started;
  }

  /** A new pass over (some of) the files: its name leads the line, counts and rate start again. */
  phase(name: string): void {
    this.phaseName = name;
    this.phaseStart = Date.now();
    this.last = 0;
  }

  static forStderr(): Progress {
    const enabled = !!process.stderr.isTTY && !process.env.CI && process.env.TERM !== 'dumb';
    return new Progress(process.stderr, enabled);
  }

  update(done: number, total: number, bytes: number): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.started < 300 || (now - this.last < 100 && done < total)) return;
    this.last = now;
    this.shown = true;
    const cols = Math.max(40, (this.stream.columns ?? 80) - 1);
    const secs = Math.max(0.001, (now - this.phaseStart) / 1000);
    const label = ` ${this.phaseName ? this.phaseName + ': ' : ''}${done}/${total} files  ${(bytes / 1e6).toFixed(1)} MB  ${(bytes / 1e6 / secs).toFixed(1)} MB/s`;
    const width = Math.max(10, Math.min(40, cols - label.length - 2));
    const filled = Math.round((done / Math.max(1, total)) * width);
    this.stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]${label}`.slice(0, cols) + '\x1b[K');
  }

  done(): void {
    if (this.shown) this.stream.write('\r\x1b[K');
  }
}
