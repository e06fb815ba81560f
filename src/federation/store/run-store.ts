/**
 * Durable state of federated runs. Everything the round loop must not lose or
 * count twice is written in one transaction per completed round: the round's
 * status, the new global checkpoint (and strategy state), the best-round
 * bookkeeping and whatever commit hooks add (the privacy ledger). A process
 * killed at any point therefore leaves either the whole round or none of it.
 */
import { PrivmedError } from '../../common/errors.js';
import { decodeTensors, encodeTensors, nameTensors, type TensorSpec } from '../wire/tensors.js';
import type { Metrics, StrategyState, Weights } from '../strategy/types.js';
import { migrate } from './schema.js';
import type { SqliteDatabase } from './sqlite.js';
import {
  toRunRow,
  type Checkpoint,
  type CommitHook,
  type CompletedRound,
  type NodeResultStatus,
  type Phase,
  type RoundCommit,
  type RunRecord,
  type RunRow,
  type RunStatistics,
  type RunStainReference,
  type RunStatus,
} from './run-rows.js';

export type { AttemptStatus, Checkpoint, CommitHook, CompletedRound, NodeResultStatus, Phase, RoundCommit, RunRow, RunStainReference, RunStatistics, RunStatus } from './run-rows.js';

const now = (): string => new Date().toISOString();

export class RunStore {
  private readonly commitHooks: CommitHook[] = [];

  constructor(readonly db: SqliteDatabase) {
    migrate(db);
  }

  /** Registers work that must be atomic with each round (e.g. privacy ledger entries). */
  onCommit(hook: CommitHook): void {
    this.commitHooks.push(hook);
  }

  findRun(name: string): RunRow | null {
    const r = this.db.prepare('SELECT * FROM runs WHERE name = ?').get(name) as RunRecord | undefined;
    return r ? toRunRow(r) : null;
  }

  listRuns(): RunRow[] {
    return (this.db.prepare('SELECT * FROM runs ORDER BY run_id').all() as RunRecord[]).map(toRunRow);
  }

  createRun(name: string, configJson: string, fingerprint: string, totalRounds: number): RunRow {
    const t = now();
    this.db
      .prepare(
        `INSERT INTO runs (name, status, config_json, fingerprint, total_rounds, created_at, updated_at)
         VALUES (?, 'running', ?, ?, ?, ?, ?)`,
      )
      .run(name, configJson, fingerprint, totalRounds, t, t);
    return this.findRun(name)!;
  }

  /** Attempts left 'running' by a killed process are marked interrupted; their node results stop counting. */
  markInterrupted(runId: number): number {
    return this.db
      .prepare(`UPDATE rounds SET status = 'interrupted', finished_at = ?, message = 'coordinator stopped during the round' WHERE run_id = ? AND status = 'running'`)
      .run(now(), runId).changes;
  }

  /** Stores the initial global model as round 0 (once per run). */
  saveInitialCheckpoint(runId: number, specs: TensorSpec[], weights: Weights, strategyState: StrategyState | null): void {
    this.db.transaction(() => {
      this.db.prepare('UPDATE runs SET model_json = ?, updated_at = ? WHERE run_id = ?').run(JSON.stringify(specs), now(), runId);
      this.insertCheckpoint(runId, 0, specs, weights, strategyState);
    })();
  }

  private insertCheckpoint(runId: number, round: number, specs: TensorSpec[], weights: Weights, state: StrategyState | null): void {
    const stateTensors = state ? state.tensors.map((t, i) => ({ name: `s${i}`, shape: [t.length], data: t })) : null;
    this.db
      .prepare('INSERT INTO checkpoints (run_id, round, weights, strategy_json, strategy_tensors, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(
        runId,
        round,
        encodeTensors(nameTensors(specs, weights)),
        state ? JSON.stringify({ json: state.json, sizes: state.tensors.map((t) => t.length) }) : null,
        stateTensors ? encodeTensors(stateTensors) : null,
        now(),
      );
  }

  modelSpecs(runId: number): TensorSpec[] {
    const row = this.db.prepare('SELECT model_json FROM runs WHERE run_id = ?').get(runId) as { model_json: string | null } | undefined;
    if (!row?.model_json) throw new PrivmedError(`run ${runId} has no model yet`);
    return JSON.parse(row.model_json) as TensorSpec[];
  }

  hasCheckpoint(runId: number): boolean {
    return this.db.prepare('SELECT 1 FROM checkpoints WHERE run_id = ? LIMIT 1').get(runId) !== undefined;
  }

  loadCheckpoint(runId: number, round: number): Checkpoint {
    const row = this.db
      .prepare('SELECT weights, strategy_json, strategy_tensors FROM checkpoints WHERE run_id = ? AND round = ?')
      .get(runId, round) as { weights: Buffer; strategy_json: string | null; strategy_tensors: Buffer | null } | undefined;
    if (!row) throw new PrivmedError(`run ${runId} has no checkpoint for round ${round}`);
    const weights = decodeTensors(this.modelSpecs(runId), row.weights).map((t) => t.data);
    let strategyState: StrategyState | null = null;
    if (row.strategy_json && row.strategy_tensors) {
      const { json, sizes } = JSON.parse(row.strategy_json) as { json: unknown; sizes: number[] };
      const specs = sizes.map((n, i) => ({ name: `s${i}`, shape: [n] }));
      strategyState = { json, tensors: decodeTensors(specs, row.strategy_tensors).map((t) => t.data) };
    }
    return { round, weights, strategyState };
  }

  lastCompletedRound(runId: number): number {
    const row = this.db
      .prepare(`SELECT MAX(round) AS r FROM rounds WHERE run_id = ? AND status = 'completed'`)
      .get(runId) as { r: number | null };
    return row.r ?? 0;
  }

  completedRounds(runId: number): CompletedRound[] {
    const rows = this.db
      .prepare(`SELECT round, attempt, fit_metrics_json, eval_metrics_json FROM rounds WHERE run_id = ? AND status = 'completed' ORDER BY round`)
      .all(runId) as { round: number; attempt: number; fit_metrics_json: string | null; eval_metrics_json: string | null }[];
    return rows.map((r) => ({
      round: r.round,
      attempt: r.attempt,
      fitMetrics: r.fit_metrics_json ? (JSON.parse(r.fit_metrics_json) as Metrics) : {},
      evalMetrics: r.eval_metrics_json ? (JSON.parse(r.eval_metrics_json) as Metrics) : null,
    }));
  }

  startAttempt(runId: number, round: number, nodes: string[]): number {
    return this.db.transaction(() => {
      const row = this.db
        .prepare('SELECT COALESCE(MAX(attempt), 0) AS a FROM rounds WHERE run_id = ? AND round = ?')
        .get(runId, round) as { a: number };
      const attempt = row.a + 1;
      this.db
        .prepare(`INSERT INTO rounds (run_id, round, attempt, status, nodes_json, started_at) VALUES (?, ?, ?, 'running', ?, ?)`)
        .run(runId, round, attempt, JSON.stringify(nodes), now());
      return attempt;
    })();
  }

  recordNodeResult(
    runId: number,
    round: number,
    attempt: number,
    node: string,
    phase: Phase,
    status: NodeResultStatus,
    details: { numSamples?: number; metrics?: Metrics; message?: string } = {},
  ): void {
    // A node answers a task at most once; a second row would be a bug, so let the primary key refuse it.
    this.db
      .prepare(
        `INSERT INTO node_results (run_id, round, attempt, node, phase, status, num_samples, metrics_json, message, recorded_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        runId,
        round,
        attempt,
        node,
        phase,
        status,
        details.numSamples ?? null,
        details.metrics ? JSON.stringify(details.metrics) : null,
        details.message ?? null,
        now(),
      );
  }

  failAttempt(runId: number, round: number, attempt: number, message: string): void {
    this.db
      .prepare(`UPDATE rounds SET status = 'failed', message = ?, finished_at = ? WHERE run_id = ? AND round = ? AND attempt = ? AND status = 'running'`)
      .run(message, now(), runId, round, attempt);
  }

  commitRound(commit: RoundCommit): void {
    const specs = this.modelSpecs(commit.runId);
    this.db.transaction(() => {
      const updated = this.db
        .prepare(
          `UPDATE rounds SET status = 'completed', fit_metrics_json = ?, eval_metrics_json = ?, finished_at = ?
           WHERE run_id = ? AND round = ? AND attempt = ? AND status = 'running'`,
        )
        .run(
          JSON.stringify(commit.fitMetrics),
          commit.evalMetrics ? JSON.stringify(commit.evalMetrics) : null,
          now(),
          commit.runId,
          commit.round,
          commit.attempt,
        );
      if (updated.changes !== 1) {
        throw new PrivmedError(`round ${commit.round} attempt ${commit.attempt} is not running; refusing to commit it`);
      }
      if (commit.weights) this.insertCheckpoint(commit.runId, commit.round, specs, commit.weights, commit.strategyState);
      if (commit.keepRounds) {
        const keep = new Set([...commit.keepRounds, commit.round]);
        const existing = this.db.prepare('SELECT round FROM checkpoints WHERE run_id = ?').all(commit.runId) as { round: number }[];
        const drop = this.db.prepare('DELETE FROM checkpoints WHERE run_id = ? AND round = ?');
        for (const { round } of existing) if (!keep.has(round)) drop.run(commit.runId, round);
      }
      if (commit.best) {
        this.db
          .prepare('UPDATE runs SET best_round = ?, best_metric = ?, updated_at = ? WHERE run_id = ?')
          .run(commit.best.round, commit.best.metric, now(), commit.runId);
      }
      for (const hook of this.commitHooks) hook(this.db, commit);
    })();
  }

  finishRun(runId: number, status: Exclude<RunStatus, 'running'>, message: string): void {
    this.db.prepare('UPDATE runs SET status = ?, message = ?, updated_at = ? WHERE run_id = ?').run(status, message, now(), runId);
  }

  /** More rounds may be configured when resuming a run. */
  setTotalRounds(runId: number, totalRounds: number): void {
    this.db.prepare('UPDATE runs SET total_rounds = ?, updated_at = ? WHERE run_id = ?').run(totalRounds, now(), runId);
  }

  /** A failed run may be resumed by starting the coordinator again. */
  reopenRun(runId: number): void {
    this.db.prepare(`UPDATE runs SET status = 'running', message = NULL, updated_at = ? WHERE run_id = ?`).run(now(), runId);
  }

  /** Once per run: a resumed run reuses what is stored. */
  saveStatistics(runId: number, s: RunStatistics): void {
    this.db
      .prepare('INSERT INTO statistics (run_id, image_count, nodes, aggregation, mean_json, std_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(runId, s.imageCount, s.nodes, s.aggregation, JSON.stringify(s.mean), JSON.stringify(s.std), now());
  }

  loadStatistics(runId: number): RunStatistics | null {
    const row = this.db.prepare('SELECT * FROM statistics WHERE run_id = ?').get(runId) as
      | { image_count: number; nodes: number; aggregation: string; mean_json: string; std_json: string }
      | undefined;
    if (!row) return null;
    return {
      mean: JSON.parse(row.mean_json) as number[],
      std: JSON.parse(row.std_json) as number[],
      imageCount: row.image_count,
      nodes: row.nodes,
      aggregation: row.aggregation,
    };
  }

  /** Once per run, like the statistics. */
  saveStainReference(runId: number, s: RunStainReference): void {
    this.db
      .prepare('INSERT INTO stain_reference (run_id, tile_count, nodes, aggregation, reference_json, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(runId, s.tileCount, s.nodes, s.aggregation, JSON.stringify(s.reference), now());
  }

  loadStainReference(runId: number): RunStainReference | null {
    const row = this.db.prepare('SELECT * FROM stain_reference WHERE run_id = ?').get(runId) as
      | { tile_count: number; nodes: number; aggregation: string; reference_json: string }
      | undefined;
    if (!row) return null;
    return { reference: JSON.parse(row.reference_json) as RunStainReference['reference'], tileCount: row.tile_count, nodes: row.nodes, aggregation: row.aggregation };
  }

  nodeSeen(runId: number, node: string, joined: boolean): void {
    const t = now();
    this.db
      .prepare(
        `INSERT INTO nodes (run_id, node, joins, first_seen, last_seen) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (run_id, node) DO UPDATE SET joins = joins + excluded.joins, last_seen = excluded.last_seen`,
      )
      .run(runId, node, joined ? 1 : 0, t, t);
  }
}
