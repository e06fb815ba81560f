/**
 * A node's heartbeats, sent from a worker thread. Training blocks the node's
 * main thread: the training core yields between batches, but one batch (a
 * DP-SGD step with per-sample gradients, a U-Net batch of volumes) or a whole
 * validation pass (its awaits resolve without an event-loop turn) can take
 * longer than the coordinator's heartbeat timeout on a loaded machine, and the
 * coordinator then drops a node that is working for it. A timer on the main
 * thread cannot fire then; a worker thread with its own channel can.
 */
import { Worker } from 'node:worker_threads';
import type { TlsMaterial } from '../../net/security.js';
import type { FromWorker, HeartbeatWorkerData, ToWorker } from './heartbeat-worker.js';

/** A node whose main thread was silent this long is stuck: its heartbeats stop. */
export const MAIN_SILENCE_MS = 15 * 60_000;

export interface HeartbeatReplyEvent {
  sessionId: string;
  known: boolean;
  finished: boolean;
}

/** One heartbeat call on the main thread (the node's own client), used until the worker has loaded. */
export type MainThreadBeat = (sessionId: string) => Promise<{ known: boolean; finished: boolean }>;

export class HeartbeatThread {
  private readonly worker: Worker | null = null;
  /** Tells the worker the main thread still runs (it stops beating after MAIN_SILENCE_MS without this). */
  private readonly alive: NodeJS.Timeout;
  private current: { sessionId: string; intervalMs: number } | null = null;
  private mainTimer: NodeJS.Timeout | undefined;
  private workerUp = false;
  /**
   * Settles once the worker has loaded (or failed to). Wait for it before
   * training: under a loader hook (tsx) a worker's modules load only while the
   * main thread is free. Until then the main thread beats itself.
   */
  readonly ready: Promise<void>;

  constructor(
    address: string,
    tls: TlsMaterial | null,
    maxMessageBytes: number,
    private readonly onReply: (r: HeartbeatReplyEvent) => void,
    private readonly mainThreadBeat: MainThreadBeat,
    useWorker = true,
  ) {
    let settle!: () => void;
    this.ready = new Promise((resolve) => (settle = resolve));
    this.alive = setInterval(() => this.post({ type: 'alive' }), 10_000);
    this.alive.unref();
    if (!useWorker) {
      settle();
      return;
    }
    // Built, the worker is a .js sibling; under tsx (tests) a worker thread does not inherit tsx's loader and registers it first.
    const ts = import.meta.url.endsWith('.ts');
    const url = new URL(`./heartbeat-worker${ts ? '.ts' : '.js'}`, import.meta.url);
    const entry = ts ? `import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(url.href)}); })` : url;
    const workerData: HeartbeatWorkerData = {
      address,
      ca: tls?.ca ?? null,
      key: tls?.key ?? null,
      cert: tls?.cert ?? null,
      maxMessageBytes,
      mainSilenceMs: MAIN_SILENCE_MS,
    };
    this.worker = new Worker(entry, { workerData, eval: typeof entry === 'string' });
    this.worker.unref(); // never keeps a node process alive
    this.worker.on('message', (m: FromWorker) => {
      if (m.type === 'ready') {
        this.workerUp = true;
        settle();
        this.handOver();
      } else if (m.type === 'reply') onReply({ sessionId: m.sessionId, known: m.known, finished: m.finished });
    });
    // A failed thread leaves the beats on the main thread: say so, since training may then silence them.
    this.worker.on('error', (e) => {
      process.stderr.write(`privmed node: heartbeat thread failed (${e.message}); heartbeats stay on the main thread\n`);
      this.workerUp = false;
      settle();
      this.handOver();
    });
  }

  private post(m: ToWorker): void {
    if (this.workerUp) this.worker?.postMessage(m);
  }

  /** Beats for this session from now on, every intervalMs. */
  session(sessionId: string, intervalMs: number): void {
    this.current = { sessionId, intervalMs: Math.max(100, intervalMs) };
    this.handOver();
  }

  /** The session's beats go to the worker once it runs, else to a main-thread timer. */
  private handOver(): void {
    clearInterval(this.mainTimer);
    const c = this.current;
    if (!c) return;
    if (this.workerUp) return this.post({ type: 'session', ...c });
    this.mainTimer = setInterval(() => {
      this.mainThreadBeat(c.sessionId).then(
        (r) => this.onReply({ sessionId: c.sessionId, ...r }),
        () => undefined, // the task loop notices an unreachable coordinator
      );
    }, c.intervalMs);
  }

  stop(): void {
    clearInterval(this.alive);
    clearInterval(this.mainTimer);
    this.post({ type: 'stop' });
    void this.worker?.terminate();
  }
}
