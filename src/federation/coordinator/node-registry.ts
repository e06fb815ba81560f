/**
 * The nodes currently taking part: one session per node process. A node that
 * joins again (it restarted) gets a new session and its old one ends; a node
 * that stops sending heartbeats is declared lost. Either way, listeners hear
 * about it so that tasks waiting on that node fail at once instead of at the
 * round's timeout.
 */
import { randomUUID } from 'node:crypto';
import { Wakeup } from './wakeup.js';

export interface Session {
  id: string;
  node: string;
  lastSeen: number;
}

export type LostListener = (session: Session, reason: string) => void;

export class NodeRegistry {
  private readonly sessions = new Map<string, Session>();
  private readonly byNode = new Map<string, Session>();
  private readonly lostListeners: LostListener[] = [];
  private lastSweep: number | null = null;
  /** How often sweep() should run: four times per timeout. */
  readonly sweepIntervalMs: number;
  readonly changed = new Wakeup();

  constructor(
    private readonly heartbeatTimeoutMs: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.sweepIntervalMs = Math.max(50, heartbeatTimeoutMs / 4);
  }

  onLost(listener: LostListener): void {
    this.lostListeners.push(listener);
  }

  join(node: string): { session: Session; rejoined: boolean } {
    const previous = this.byNode.get(node);
    if (previous) this.end(previous, 'the node joined again (restarted?)');
    const session: Session = { id: randomUUID(), node, lastSeen: this.clock() };
    this.sessions.set(session.id, session);
    this.byNode.set(node, session);
    this.changed.notify();
    return { session, rejoined: previous !== undefined };
  }

  get(sessionId: string): Session | undefined {
    return this.sessions.get(sessionId);
  }

  touch(session: Session): void {
    session.lastSeen = this.clock();
  }

  /**
   * Ends the sessions that have been silent for longer than the heartbeat
   * timeout. Meant to run every sweepIntervalMs: a call more than two
   * intervals after the previous one means this process was not running
   * (a long synchronous stretch, a slow disk write, a starved machine), so
   * heartbeats may be waiting unread in its sockets; that call ends nothing
   * and the next one, after they are read, judges.
   */
  sweep(): void {
    const now = this.clock();
    const late = this.lastSweep !== null && now - this.lastSweep > 2 * this.sweepIntervalMs;
    this.lastSweep = now;
    if (late) return;
    const deadline = now - this.heartbeatTimeoutMs;
    for (const s of [...this.sessions.values()]) {
      if (s.lastSeen < deadline) this.end(s, `no heartbeat for ${Math.round((this.clock() - s.lastSeen) / 1000)} s`);
    }
  }

  sessionOf(node: string): Session | undefined {
    return this.byNode.get(node);
  }

  liveNodes(): string[] {
    return [...this.byNode.keys()].sort();
  }

  liveSessions(): Session[] {
    return [...this.sessions.values()];
  }

  private end(session: Session, reason: string): void {
    this.sessions.delete(session.id);
    if (this.byNode.get(session.node) === session) this.byNode.delete(session.node);
    for (const l of this.lostListeners) l(session, reason);
    this.changed.notify();
  }
}
