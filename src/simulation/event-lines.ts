/**
 * Structured events from a privmed child process to the process that started
 * it (`privmed simulate`'s live view): one JSON object per stdout line, behind
 * a prefix, so they never mix with the human log lines the children print.
 */
import type { CoordinatorEvent } from '../federation/coordinator/events.js';
import type { NodeEvent } from '../federation/node/run-node.js';

const PREFIX = '@privmed-event ';

/** What a node process adds to the node's own events: its data, and each fit's outcome. */
export type SiteEvent =
  | { type: 'site-opened'; trainImages: number; valImages: number }
  | { type: 'fit-progress'; batches: number; totalBatches: number | null }
  | { type: 'fit-done'; numSamples: number; epsilon?: number };

export type ChildEvent = CoordinatorEvent | NodeEvent | SiteEvent;

export function eventLine(event: ChildEvent): string {
  return PREFIX + JSON.stringify(event);
}

/** The event a line carries, or null for an ordinary log line (or a garbled event line). */
export function parseEventLine(line: string): ChildEvent | null {
  if (!line.startsWith(PREFIX)) return null;
  try {
    const e = JSON.parse(line.slice(PREFIX.length)) as ChildEvent;
    return typeof e === 'object' && e !== null && typeof e.type === 'string' ? e : null;
  } catch {
    return null;
  }
}

export function isEventLine(line: string): boolean {
  return line.startsWith(PREFIX);
}
