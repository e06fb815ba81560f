/**
 * The live dashboard's subscription to the coordinator's events (pass
 * `feed.sink` as CoordinatorOptions.onEvent). It keeps only what the run
 * store does not: which nodes are connected now, and the log's last lines.
 * Everything else the dashboard reads from the database on each change.
 */
import { describeEvent, type CoordinatorEvent, type EventSink } from '../federation/coordinator/events.js';
import type { LiveInfo } from './state.js';

const LOG_LINES = 200;

export class LiveFeed implements LiveInfo {
  readonly connected = new Map<string, boolean>();
  readonly log: string[] = [];
  private readonly listeners = new Set<() => void>();

  readonly sink: EventSink = (e: CoordinatorEvent) => {
    if (e.type === 'node-joined') this.connected.set(e.node, true);
    if (e.type === 'node-lost') this.connected.set(e.node, false);
    this.log.push(`${new Date().toISOString()} ${describeEvent(e)}`);
    if (this.log.length > LOG_LINES) this.log.splice(0, this.log.length - LOG_LINES);
    for (const l of this.listeners) l();
  };

  /** Called after every event; returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
