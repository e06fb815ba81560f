/**
 * Log lines that a node can cause at will - results for late or unknown
 * tasks, rejoins and the sessions they end, refused calls - are capped per
 * node and kind, so that a broken or hostile node cannot flood the
 * coordinator's log (the fuzz test's node causes thousands). The first
 * `perWindow` of a kind in a window are written; the rest are counted, and
 * the count is written before the next line of that kind after the window.
 * Events still reach `onEvent` listeners in full; only the text log is cut.
 */
import type { CoordinatorEvent } from './events.js';

interface Window {
  start: number;
  written: number;
  held: number;
}

/** What a line is about, when a node can repeat it at will; null for lines that are always written. */
function floodKey(e: CoordinatorEvent): { key: string; what: string } | null {
  switch (e.type) {
    case 'late-result':
      return { key: `late\u0000${e.node}`, what: `late or unknown results of ${e.node}` };
    case 'node-joined':
      return e.rejoined ? { key: `rejoin\u0000${e.node}`, what: `rejoins of ${e.node}` } : null;
    case 'node-lost':
      // Only the sessions a rejoin ended: a node lost for silence is always news.
      return e.reason.startsWith('the node joined again') ? { key: `rejoin-lost\u0000${e.node}`, what: `sessions of ${e.node} ended by a rejoin` } : null;
    case 'access-denied':
      // Peers differ per connection (address:port), so refusals share one window.
      return { key: 'denied', what: 'refused calls' };
    default:
      return null;
  }
}

export class LogThrottle {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly perWindow = 20,
    private readonly windowMs = 60_000,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The lines to write for `event` (described as `line`): none, the line, or a count of those held back and the line. */
  lines(event: CoordinatorEvent, line: string): string[] {
    const flood = floodKey(event);
    if (!flood) return [line];
    const now = this.clock();
    const out: string[] = [];
    let w = this.windows.get(flood.key);
    if (!w || now - w.start >= this.windowMs) {
      if (w && w.held > 0) out.push(`(${w.held} more ${flood.what} not shown, within ${Math.round(this.windowMs / 1000)} s)`);
      w = { start: now, written: 0, held: 0 };
      this.windows.set(flood.key, w);
    }
    if (w.written < this.perWindow) {
      w.written++;
      out.push(line);
    } else {
      w.held++;
    }
    return out;
  }
}
