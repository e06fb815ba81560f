/**
 * The configuration keys the coordinator sends with every fit/evaluate task
 * and the local trainer reads. Anything else in the record is passed through
 * from the coordinator's config untouched (learning rate, batch size, ...).
 */
import { PrivmedError } from '../common/errors.js';
import type { ChannelStats } from '../data/preprocess/normalize.js';
import type { ReleaseMechanism } from '../accounting/index.js';
import { StainSpecSchema, type StainSpec } from '../data/stain/stain-spec.js';

/** A config value as it travels: plain scalars only. */
export type ConfigScalar = number | string | boolean;

export interface FitConfig {
  /** The federated round this fit belongs to (1-based). */
  round: number;
  /** Train this many full passes over the local data before syncing. */
  localEpochs?: number;
  /** Or: sync after this many mini-batches, resuming where the previous round stopped (sub-epoch sync). */
  syncEveryNBatches?: number;
  /** FedProx: weight of the proximal term mu/2 * ||w - w_global||^2 the local trainer adds to its loss. */
  proximalMu?: number;
  /** 'cosine': the node's learning rate decays over the planned rounds (site-trainer.ts roundLearningRate); default constant. */
  lrSchedule?: string;
  [key: string]: ConfigScalar | undefined;
}

export interface EvaluateConfig {
  round: number;
  [key: string]: ConfigScalar | undefined;
}

export const NORM_KEYS = { mean: 'normMean', std: 'normStd' } as const;

/** The fit/evaluate config keys carrying the global normalisation. */
export function normalisationConfig(n: ChannelStats): Record<string, string> {
  return { [NORM_KEYS.mean]: n.mean.map(String).join(','), [NORM_KEYS.std]: n.std.map(String).join(',') };
}

/** The normalisation in a task's config, or null when the coordinator sent none. */
export function normalisationFromConfig(config: Readonly<Record<string, unknown>>): ChannelStats | null {
  const mean = config[NORM_KEYS.mean];
  const std = config[NORM_KEYS.std];
  if (mean === undefined && std === undefined) return null;
  if (typeof mean !== 'string' || typeof std !== 'string') throw new PrivmedError(`${NORM_KEYS.mean} and ${NORM_KEYS.std} must both be comma-separated numbers`);
  const parse = (s: string) => s.split(',').map(Number);
  const n = { mean: parse(mean), std: parse(std) };
  if (n.mean.length !== n.std.length || [...n.mean, ...n.std].some((v) => !Number.isFinite(v)) || n.std.some((v) => v <= 0)) {
    throw new PrivmedError(`invalid normalisation from the coordinator: mean ${mean}, std ${std}`);
  }
  return n;
}

/**
 * The statistics task's config key naming what it asks for: 'stain' (the tiles' stain
 * statistics, dp/statistics/stain-statistics.ts) or, when absent, the dataset statistics.
 */
export const STATISTICS_KIND_KEY = 'statistics';
export type StatisticsKind = 'dataset' | 'stain';

export function statisticsKindOf(config: Readonly<Record<string, unknown>>): StatisticsKind {
  const kind = config[STATISTICS_KIND_KEY] ?? 'dataset';
  if (kind !== 'dataset' && kind !== 'stain') throw new PrivmedError(`the statistics task asks for '${String(kind)}' statistics; this node knows 'dataset' and 'stain'`);
  return kind;
}

export const STAIN_KEYS = { mean: 'stainMean', std: 'stainStd' } as const;

/** The config keys carrying the federation's Reinhard reference (with every statistics, fit and evaluate task after the exchange). */
export function stainConfig(ref: { mean: readonly number[]; std: readonly number[] }): Record<string, string> {
  return { [STAIN_KEYS.mean]: ref.mean.map(String).join(','), [STAIN_KEYS.std]: ref.std.map(String).join(',') };
}

/** The federation's stain reference in a task's config, or null when it carries none. */
export function stainFromConfig(config: Readonly<Record<string, unknown>>): StainSpec | null {
  const mean = config[STAIN_KEYS.mean];
  const std = config[STAIN_KEYS.std];
  if (mean === undefined && std === undefined) return null;
  if (typeof mean !== 'string' || typeof std !== 'string') throw new PrivmedError(`${STAIN_KEYS.mean} and ${STAIN_KEYS.std} must both be comma-separated numbers`);
  const parsed = StainSpecSchema.safeParse({ method: 'reinhard', mean: mean.split(',').map(Number), std: std.split(',').map(Number) });
  if (!parsed.success) throw new PrivmedError(`invalid stain reference from the coordinator: mean ${mean}, std ${std}`);
  return parsed.data;
}

/** The fit config key of the run's planned number of rounds: a DP node calibrates its noise to its budget over them. */
export const PLANNED_ROUNDS_KEY = 'plannedRounds';

/**
 * What a DP site reports under every protocol, even where its update and
 * counts are hidden: its spent epsilon (by its own ledger) and delta. A
 * function of public mechanism parameters; rounded up to 3 significant
 * digits so the report says no more about the site's sample rate than that.
 */
export const PUBLIC_PRIVACY_KEYS = ['epsilon', 'dpDelta'] as const;

export function publicPrivacyMetrics(metrics: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of PUBLIC_PRIVACY_KEYS) if (metrics[k] !== undefined) out[k] = roundUp3(metrics[k]!);
  return out;
}

/** The public privacy report in a remote reply, checked; a message when it is malformed, else null. */
export function publicPrivacyProblem(metrics: Readonly<Record<string, number>>): string | null {
  const extra = Object.keys(metrics).filter((k) => !(PUBLIC_PRIVACY_KEYS as readonly string[]).includes(k));
  if (extra.length) return `only ${PUBLIC_PRIVACY_KEYS.join(' and ')} may travel beside a hidden update, got ${extra.join(', ')}`;
  const { epsilon, dpDelta } = metrics;
  if (epsilon !== undefined && !(Number.isFinite(epsilon) && epsilon >= 0)) return `epsilon must be a finite number >= 0, got ${epsilon}`;
  if (dpDelta !== undefined && !(dpDelta > 0 && dpDelta < 1)) return `dpDelta must lie in (0, 1), got ${dpDelta}`;
  if ((epsilon === undefined) !== (dpDelta === undefined)) return 'epsilon and dpDelta travel together';
  return null;
}

function roundUp3(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) return x;
  const scale = 10 ** (Math.floor(Math.log10(x)) - 2);
  return Number((Math.ceil(x / scale - 1e-9) * scale).toPrecision(3));
}

/** The fit config keys a coordinator with a `privacy:` section sends: the weakest mechanism it accepts. */
export const DP_FIT_KEYS = { noiseMultiplier: 'dpNoiseMultiplier', maxSampleRate: 'dpMaxSampleRate', maxSteps: 'dpMaxSteps', sampling: 'dpSampling' } as const;

/** Fit metrics can hold numbers only: sampling travels as 0 (poisson) or 1 (uniform). */
export const SAMPLING_CODE = { poisson: 0, uniform: 1 } as const;
const SAMPLING_BY_CODE = ['poisson', 'uniform'] as const;

type SubsampledGaussian = Extract<ReleaseMechanism, { type: 'subsampled-gaussian' }>;

/** A DP fit's report to the coordinator: the site's spent epsilon and the mechanism of this fit. */
export function mechanismMetrics(m: SubsampledGaussian, epsilon: number, delta: number): Record<string, number> {
  return { epsilon, dpDelta: delta, dpNoiseMultiplier: m.noiseMultiplier, dpSampleRate: m.sampleRate, dpSteps: m.steps, dpSampling: SAMPLING_CODE[m.sampling] };
}

/** The mechanism a site reported in its fit metrics, or null when it reported none. */
export function reportedMechanism(metrics: Record<string, unknown>): ReleaseMechanism | null {
  if (metrics.dpNoiseMultiplier === undefined) return null;
  // Validated by the ledger's append: a malformed report fails the commit rather than under-charging.
  return {
    type: 'subsampled-gaussian',
    noiseMultiplier: metrics.dpNoiseMultiplier as number,
    sampleRate: metrics.dpSampleRate as number,
    steps: metrics.dpSteps as number,
    sampling: SAMPLING_BY_CODE[metrics.dpSampling as number] ?? (String(metrics.dpSampling) as 'poisson'),
  };
}
