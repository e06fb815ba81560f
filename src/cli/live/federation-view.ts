/**
 * The live view of a federation: a model fed with coordinator events (and,
 * in a simulation, the node processes' events), rendered as a few lines: the
 * run, one line per site, the latest global metrics and the best round.
 * Pure: the caller passes the time, so tests can render it exactly.
 */
import { describeEvent, type CoordinatorEvent } from '../../federation/coordinator/events.js';
import type { Metrics } from '../../federation/strategy/types.js';
import type { ChildEvent } from '../../simulation/event-lines.js';
import { formatDuration } from './status-area.js';

/** A site's progress within a round, in order; a later status of the same round never goes back. */
const STEPS = ['waiting', 'training', 'trained', 'secure aggregation', 'uploaded', 'evaluating', 'evaluated', 'done'] as const;
type Step = (typeof STEPS)[number];
/** Statuses that end a site's round early; they replace any step. */
type Trouble = 'dropped' | 'rejected' | 'refused' | 'lost' | 'reconnecting';

interface SiteState {
  connected: boolean;
  round: number;
  status: Step | Trouble | 'finished';
  epsilon?: number;
  samples?: number;
  trainImages?: number;
  /** Batches done of the fit in progress ("12/38"), while training. */
  progress?: string;
}

export interface FederationViewOptions {
  runName: string;
  protocol: string;
  totalRounds: number;
  /** The sites expected (simulation, allowedNodes); others appear when they join. */
  sites?: string[];
  /** The selection metric of the best round (coordinator evaluate.metric). */
  metric?: string;
  now: number;
}

const fmt = (v: number | undefined, digits = 4) => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits));

export class FederationView {
  private readonly sites = new Map<string, SiteState>();
  private runName: string;
  private totalRounds: number;
  private readonly startedAt: number;
  private runStartedAt: number | null = null;
  private roundsAtStart = 0;
  private roundsDone = 0;
  private round = 0;
  private phase = 'starting';
  private latest: { round: number; eval: Metrics | null; fit: Metrics } | null = null;
  private best: { round: number; eval: Metrics | null } | null = null;
  private finished = false;
  private notice = '';

  constructor(private readonly o: FederationViewOptions) {
    this.runName = o.runName;
    this.totalRounds = o.totalRounds;
    this.startedAt = o.now;
    for (const s of o.sites ?? []) this.site(s);
  }

  private site(name: string): SiteState {
    let s = this.sites.get(name);
    if (!s) this.sites.set(name, (s = { connected: false, round: 0, status: 'waiting' }));
    return s;
  }

  /** Moves a site forward within a round; a stale or lower step (events of two processes interleave) is ignored. */
  private step(name: string, round: number, status: Step): void {
    const s = this.site(name);
    const rank = (STEPS as readonly string[]).indexOf(s.status);
    if (round > s.round || (round === s.round && (rank < 0 || STEPS.indexOf(status) > rank))) {
      if (round > s.round) s.progress = undefined;
      s.round = round;
      s.status = status;
    }
  }

  private trouble(name: string, round: number, status: Trouble): void {
    const s = this.site(name);
    s.round = Math.max(s.round, round);
    s.status = status;
  }

  coordinator(e: CoordinatorEvent, now: number): void {
    switch (e.type) {
      case 'listening':
        this.phase = `listening on ${e.address}`;
        break;
      case 'waiting-for-nodes':
        this.phase = `waiting for sites (${e.have.length} of ${e.need})`;
        break;
      case 'node-joined':
        this.site(e.node).connected = true;
        break;
      case 'node-lost':
        this.site(e.node).connected = false;
        this.trouble(e.node, this.round, 'lost');
        this.notice = `${e.node} lost: ${e.reason}`;
        break;
      case 'access-denied':
        this.notice = `refused ${e.peer}: ${e.reason}`;
        break;
      case 'statistics':
        this.phase = 'normalisation exchanged';
        break;
      case 'stain-reference':
        this.phase = 'stain reference exchanged';
        break;
      case 'statistics-failed':
        this.notice = describeEvent(e);
        break;
      case 'run-started':
        this.runName = e.runName;
        this.totalRounds = e.totalRounds;
        this.runStartedAt = now;
        this.roundsAtStart = this.roundsDone = e.resumedAfterRound ?? 0;
        this.phase = e.resumedAfterRound === null ? 'started' : `resumed after round ${e.resumedAfterRound}`;
        break;
      case 'round-started':
        this.round = e.round;
        this.phase = `round ${e.round}${e.attempt > 1 ? ` (attempt ${e.attempt})` : ''}: fit`;
        for (const n of e.nodes) this.step(n, e.round, 'training');
        break;
      case 'result':
        if (e.numSamples !== undefined && e.numSamples > 0) this.site(e.node).samples = e.numSamples;
        if (e.epsilon !== undefined) this.site(e.node).epsilon = e.epsilon;
        if (e.status === 'accepted') this.step(e.node, e.round, e.phase === 'fit' ? 'uploaded' : 'evaluated');
        else this.trouble(e.node, e.round, e.status);
        if (e.phase === 'fit') this.phase = `round ${e.round}: evaluate`;
        if (e.reason) this.notice = `${e.node} ${e.phase} ${e.status}: ${e.reason}`;
        break;
      case 'late-result':
        break;
      case 'round-failed':
        this.notice = `round ${e.round} attempt ${e.attempt} failed: ${e.reason}${e.willRetry ? ' (retrying)' : ''}`;
        break;
      case 'round-completed':
        this.roundsDone = e.round;
        this.latest = { round: e.round, eval: e.evalMetrics, fit: e.fitMetrics };
        if (e.best) this.best = { round: e.round, eval: e.evalMetrics };
        for (const [name, s] of this.sites) if (s.round === e.round && STEPS.includes(s.status as Step)) this.step(name, e.round, 'done');
        this.phase = `round ${e.round} done`;
        break;
      case 'run-finished':
        this.finished = true;
        this.phase = `run ${e.status}`;
        break;
    }
  }

  /** An event of a node process (simulation): finer per-site status, samples and epsilon. */
  node(name: string, e: ChildEvent): void {
    const s = this.site(name);
    switch (e.type) {
      case 'site-opened':
        s.trainImages = e.trainImages;
        break;
      case 'joined':
        s.connected = true;
        break;
      case 'task':
        if (e.kind === 'fit') this.step(name, e.round, 'training');
        else if (e.kind === 'step') this.step(name, e.round, 'secure aggregation');
        else if (e.kind === 'evaluate') this.step(name, e.round, 'evaluating');
        break;
      case 'fit-progress':
        s.progress = e.totalBatches ? `${e.batches}/${e.totalBatches}` : `${e.batches}`;
        break;
      case 'fit-done':
        s.progress = undefined;
        s.samples = e.numSamples;
        if (e.epsilon !== undefined) s.epsilon = e.epsilon;
        this.step(name, s.round, 'trained');
        break;
      case 'submitted':
        if (!e.accepted) this.trouble(name, e.round, 'refused');
        else this.step(name, e.round, e.kind === 'evaluate' ? 'evaluated' : e.kind === 'fit' ? 'uploaded' : 'secure aggregation');
        break;
      case 'reconnecting':
        s.connected = false;
        s.status = 'reconnecting';
        break;
      case 'finished':
        s.status = 'finished';
        break;
    }
  }

  /** The line a coordinator event leaves on screen above the live view (results, trouble), or null. */
  keptLine(e: CoordinatorEvent): string | null {
    switch (e.type) {
      case 'round-completed':
        return `round ${e.round}/${this.totalRounds} completed: AUC ${fmt(e.evalMetrics?.auc)}  MCC ${fmt(e.evalMetrics?.mcc)}  loss ${fmt(e.evalMetrics?.loss ?? e.fitMetrics.loss)}${e.best ? '  (best so far)' : ''}`;
      case 'node-lost':
      case 'access-denied':
      case 'statistics-failed':
      case 'round-failed':
      case 'run-finished':
        return describeEvent(e);
      default:
        return null;
    }
  }

  /** How far a run got that ended without saying so (an error, an interrupt); null when the coordinator reported the end. */
  unfinished(): string | null {
    return this.finished ? null : `stopped at: ${this.phase}${this.best ? `; best round ${this.best.round} (${this.bestText()})` : ''}`;
  }

  private bestText(): string {
    const m = this.o.metric ?? 'mcc';
    return `${m} ${fmt(this.best?.eval?.[m])}`;
  }

  render(now: number): string[] {
    const since = this.runStartedAt ?? this.startedAt;
    const doneHere = this.roundsDone - this.roundsAtStart;
    const eta = doneHere > 0 && this.runStartedAt !== null ? ((now - since) / doneHere) * (this.totalRounds - this.roundsDone) : NaN;
    const lines = [
      `run ${this.runName} | ${this.o.protocol} | rounds ${this.roundsDone}/${this.totalRounds} | ${this.phase} | ` +
        `elapsed ${formatDuration((now - this.startedAt) / 1000)} | ETA ${this.finished ? '0:00' : formatDuration(eta / 1000)}`,
    ];
    const width = Math.max(4, ...[...this.sites.keys()].map((n) => n.length));
    for (const [name, s] of this.sites) {
      const batches = s.status === 'training' && s.progress ? ` ${s.progress} batches` : '';
      const where = (s.round > 0 ? `round ${s.round} ${s.status}` : s.status) + batches;
      const eps = s.epsilon !== undefined ? `eps ${fmt(s.epsilon, 2)}` : '';
      const samples = s.samples !== undefined ? `${s.samples} samples` : s.trainImages !== undefined ? `${s.trainImages} images` : '';
      lines.push(`  ${name.padEnd(width)}  ${(s.connected ? 'connected' : 'offline').padEnd(9)}  ${where.padEnd(28)}  ${eps.padEnd(9)}  ${samples}`.trimEnd());
    }
    const l = this.latest;
    lines.push(
      l
        ? `global round ${l.round}: AUC ${fmt(l.eval?.auc)}  MCC ${fmt(l.eval?.mcc)}  loss ${fmt(l.eval?.loss ?? l.fit.loss)}` +
            (this.best ? `  | best round ${this.best.round} (${this.bestText()})` : '')
        : 'global: no round completed yet',
    );
    if (this.notice) lines.push(`last: ${this.notice}`);
    return lines;
  }
}
