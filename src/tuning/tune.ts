/**
 * `privmed tune`: federation-wide random search. Every trial is a whole
 * federation (real coordinator and node processes) with sampled
 * hyperparameters, scored by the federated validation metric of its best
 * round. Results go to an append-only JSON-lines file, so a killed search
 * resumes with the next unfinished trial and never runs a trial twice.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { PrivmedError } from '../common/errors.js';
import { SimulationSchema, type SimulationConfig } from '../simulation/config.js';
import { simulate, type SimulationOptions } from '../simulation/simulate.js';
import { randomTrial, SpaceSchema, type Trial } from './space.js';

export const TuneSchema = z.strictObject({
  trials: z.number().int().positive().default(6),
  seed: z.number().int().min(0).default(1),
  space: SpaceSchema,
  /** The simulation every trial starts from (see `privmed simulate`). */
  base: SimulationSchema.prefault({}),
  output: z.string().default('runs/tune'),
});

export type TuneConfig = z.infer<typeof TuneSchema>;

export interface TrialResult {
  trial: number;
  params: Trial;
  status: string;
  /** Federated validation metric of the trial's best round (higher is better). */
  score: number | null;
  testAuc: number | null;
  seconds: number;
}

export function applyTrial(base: SimulationConfig, params: Trial, output: string): SimulationConfig {
  const fed = { ...base.federation } as Record<string, unknown>;
  const fit = { ...((fed.fit as Record<string, unknown> | undefined) ?? { localEpochs: 1 }) };
  if (params.localEpochs !== undefined) fit.localEpochs = params.localEpochs;
  if (params.proximalMu !== undefined) fed.strategy = { name: 'fedprox', mu: params.proximalMu };
  fed.fit = fit;
  return {
    ...base,
    training: {
      ...base.training,
      batchSize: (params.batchSize as number | undefined) ?? base.training.batchSize,
      optimizer: {
        ...base.training.optimizer,
        lr: (params.lr as number | undefined) ?? base.training.optimizer.lr,
        weightDecay: (params.weightDecay as number | undefined) ?? base.training.optimizer.weightDecay,
      },
    },
    federation: fed,
    output,
  };
}

function readResults(file: string): TrialResult[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as TrialResult];
      } catch {
        return []; // a line torn by a crash mid-write: that trial runs again
      }
    });
}

export async function tune(cfg: TuneConfig, opts: SimulationOptions & { onTrial?: (r: TrialResult) => void } = {}): Promise<{ results: TrialResult[]; best: TrialResult | null }> {
  if (cfg.base.privacy) {
    // Every trial trains on the sites' data and the search keeps the trial with the best validation
    // score: releases no mechanism bounds and no ledger could charge (issue #18 item 10).
    throw new PrivmedError(
      "config key 'base.privacy': a hyperparameter search cannot run under DP: its trials and the choice of the best one use the sites' data without a DP mechanism, so their cost could not be charged to any ledger",
      { hint: 'search on data you may use without privacy (public or synthetic), then train privately with the chosen values' },
    );
  }
  const out = resolve(cfg.output);
  mkdirSync(out, { recursive: true });
  const file = join(out, 'trials.jsonl');
  const results = readResults(file);
  for (let k = 0; k < cfg.trials; k++) {
    if (results.some((r) => r.trial === k)) continue;
    const params = randomTrial(cfg.space, cfg.seed, k);
    const sim = applyTrial(cfg.base, params, join(out, `trial-${k}`));
    const t0 = performance.now();
    let result: TrialResult;
    try {
      const r = await simulate(sim, opts);
      result = { trial: k, params, status: r.status, score: r.bestMetric, testAuc: r.test?.auc ?? null, seconds: (performance.now() - t0) / 1000 };
    } catch (err) {
      if (!(err instanceof PrivmedError)) throw err;
      result = { trial: k, params, status: `failed: ${err.message}`, score: null, testAuc: null, seconds: (performance.now() - t0) / 1000 };
    }
    appendFileSync(file, JSON.stringify(result) + '\n');
    results.push(result);
    opts.onTrial?.(result);
  }
  const scored = results.filter((r) => r.score !== null);
  const best = scored.length ? scored.reduce((a, b) => (b.score! > a.score! ? b : a)) : null;
  return { results, best };
}
