/**
 * The one terminal progress/status component of the CLI: a block of lines
 * redrawn in place on a TTY (throttled, truncated to the terminal's width),
 * with permanent lines printed above it. Off a TTY only the permanent lines
 * appear (the summary lines a log wants); in JSON mode nothing at all, so
 * stdout carries JSON lines only.
 */

export interface StatusStream {
  write(chunk: string): boolean;
  isTTY?: boolean;
  columns?: number;
}

export interface StatusAreaOptions {
  /** JSON mode: the caller prints JSON lines itself; this component stays silent. */
  json?: boolean;
  /** Least time between two redraws (default 100 ms: at most 10 per second). */
  minIntervalMs?: number;
  now?: () => number;
}

const CLEAR_LINE = '\x1b[K';
const CLEAR_BELOW = '\x1b[J';
const up = (n: number) => (n > 0 ? `\x1b[${n}A` : '');

/** Cuts a line to fit `columns`; one column is kept free so the terminal never wraps. */
export function fitWidth(line: string, columns: number | undefined): string {
  const max = Math.max(1, (columns && columns > 0 ? columns : 80) - 1);
  return line.length <= max ? line : line.slice(0, Math.max(0, max - 1)) + '~';
}

export function formatDuration(sec: number): string {
  if (!Number.isFinite(sec) || sec < 0) return '--:--';
  const s = Math.round(sec);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h ? `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}` : `${m}:${String(r).padStart(2, '0')}`;
}

/** A text bar of `width` cells, `done` of `total` filled. */
export function bar(done: number, total: number, width = 24): string {
  const filled = total > 0 ? Math.max(0, Math.min(width, Math.round((done / total) * width))) : 0;
  return '[' + '#'.repeat(filled) + '-'.repeat(width - filled) + ']';
}

export class StatusArea {
  /** True when this area draws live lines (a TTY, not JSON mode). */
  readonly live: boolean;
  private readonly quiet: boolean;
  private readonly minIntervalMs: number;
  private readonly now: () => number;
  private rows = 0;
  private lastDraw = -Infinity;
  private pending: string[] | null = null;
  private shown: string[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stream: StatusStream = process.stderr,
    options: StatusAreaOptions = {},
  ) {
    this.quiet = options.json === true;
    this.live = !this.quiet && stream.isTTY === true;
    this.minIntervalMs = options.minIntervalMs ?? 100;
    this.now = options.now ?? Date.now;
  }

  /** New live lines; drawn now, or at the end of the throttle interval (the latest lines win). */
  update(lines: string[], force = false): void {
    if (!this.live) return;
    this.pending = lines;
    const wait = this.lastDraw + this.minIntervalMs - this.now();
    if (force || wait <= 0) this.flush();
    else if (!this.timer) {
      // unref: a pending redraw never keeps the process alive.
      this.timer = setTimeout(() => this.flush(), wait);
      this.timer.unref?.();
    }
  }

  /** A permanent line (a summary, a warning): above the live lines on a TTY, alone elsewhere. */
  line(text: string): void {
    if (this.quiet) return;
    if (!this.live) {
      this.stream.write(text + '\n');
      return;
    }
    // Not cut: a permanent line may wrap, it is never redrawn.
    this.stream.write(this.home() + CLEAR_BELOW + text + '\n');
    this.rows = 0;
    this.draw(this.pending ?? this.shown);
  }

  /** Clears the live lines; permanent lines stay. */
  finish(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = null;
    this.shown = [];
    if (this.live && this.rows > 0) this.stream.write(this.home() + CLEAR_BELOW);
    this.rows = 0;
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending) this.draw(this.pending);
  }

  /** Back to the first column of the first live row. */
  private home(): string {
    return this.rows > 0 ? up(this.rows - 1) + '\r' : '\r';
  }

  private draw(lines: string[]): void {
    this.pending = null;
    this.shown = lines;
    this.lastDraw = this.now();
    if (lines.length === 0 && this.rows === 0) return;
    const body = lines.map((l) => fitWidth(l, this.stream.columns) + CLEAR_LINE).join('\n');
    this.stream.write(this.home() + body + CLEAR_BELOW);
    this.rows = lines.length;
  }
}
