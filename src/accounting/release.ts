import { z } from 'zod';
import { PrivmedError } from '../common/errors.js';
import type { MechanismEvent } from './events.js';

/**
 * One release of information from a dataset, as the privacy ledger records it.
 *
 * kinds: 'dp-sgd' (a group of DP-SGD steps), 'statistics' (a noisy statistic),
 * 'hparam-trial' (a hyper-parameter trial: its training and/or noisy score),
 * 'model-selection' (choosing among models with a private score).
 *
 * mechanisms:
 * - 'subsampled-gaussian': DP-SGD steps, as the accountants take them.
 * - 'gaussian': Gaussian noise of standard deviation noiseStd on a query of L2
 *   sensitivity `sensitivity`, `count` times (default 1) on the full dataset.
 * - 'laplace': Laplace noise of scale noiseScale on a query of L1 sensitivity
 *   `sensitivity`, `count` times: pure count * sensitivity / noiseScale -DP.
 * - 'pure-dp': any epsilon-DP mechanism (exponential mechanism, report noisy max).
 * Sensitivities must be stated for the same neighbouring relation the dataset's
 * DP-SGD uses (add/remove one record for Poisson sampling).
 */
export const RELEASE_KINDS = ['dp-sgd', 'statistics', 'hparam-trial', 'model-selection'] as const;
export type ReleaseKind = (typeof RELEASE_KINDS)[number];

const positive = z.number().positive().finite();

const mechanismSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('subsampled-gaussian'),
    noiseMultiplier: positive,
    sampleRate: positive.max(1),
    steps: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
    sampling: z.enum(['poisson', 'uniform']),
  }),
  z.strictObject({
    type: z.literal('gaussian'),
    sensitivity: positive,
    noiseStd: positive,
    count: z.number().int().positive().optional(),
  }),
  z.strictObject({
    type: z.literal('laplace'),
    sensitivity: positive,
    noiseScale: positive,
    count: z.number().int().positive().optional(),
  }),
  z.strictObject({
    type: z.literal('pure-dp'),
    epsilon: positive,
  }),
]);
export type ReleaseMechanism = z.infer<typeof mechanismSchema>;

export const releaseSchema = z.strictObject({
  site: z.string().trim().min(1).max(200),
  kind: z.enum(RELEASE_KINDS),
  mechanism: mechanismSchema,
  note: z.string().max(10_000).optional(),
});
export type Release = z.infer<typeof releaseSchema>;

/** Which mechanisms make sense for each kind of release. */
const ALLOWED: Record<ReleaseKind, readonly ReleaseMechanism['type'][]> = {
  'dp-sgd': ['subsampled-gaussian'],
  statistics: ['gaussian', 'laplace'],
  'hparam-trial': ['subsampled-gaussian', 'gaussian', 'laplace', 'pure-dp'],
  'model-selection': ['gaussian', 'laplace', 'pure-dp'],
};

/** Validates a release; the error names the field, what was expected and what came. */
export function checkRelease(value: unknown, where = 'release'): Release {
  const r = releaseSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const path = issue.path.map(String).join('.') || '(top level)';
    if (issue.code === 'unrecognized_keys') throw new PrivmedError(`${where}: field '${path}': unknown key '${issue.keys[0]}'`);
    const got = describe(issue.path.reduce<unknown>((v, key) => (typeof v === 'object' && v !== null ? (v as Record<PropertyKey, unknown>)[key] : undefined), value));
    throw new PrivmedError(`${where}: field '${path}': expected ${expectation(issue)}, got ${got}`);
  }
  const release = r.data;
  if (!ALLOWED[release.kind].includes(release.mechanism.type)) {
    throw new PrivmedError(
      `${where}: a '${release.kind}' release cannot use mechanism '${release.mechanism.type}'; expected one of ${ALLOWED[release.kind].join(', ')}`,
    );
  }
  return release;
}

function expectation(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected === 'int' ? 'a whole number' : issue.expected === 'object' ? 'an object' : `a ${issue.expected}`;
    case 'invalid_value':
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      return `a number ${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}`;
    case 'too_big':
      return `a number ${issue.inclusive ? '<=' : '<'} ${String(issue.maximum)}`;
    case 'invalid_union':
      return `one of the mechanism types ${mechanismSchema.options.map((o) => JSON.stringify(o.shape.type.value)).join(', ')}`;
    default:
      return issue.message;
  }
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'object' && v !== null) return Array.isArray(v) ? 'a list' : 'an object';
  return String(v);
}

/** What a release costs, split the way it composes. */
export interface ReleaseCost {
  /** Gaussian mechanisms, composed by the accountant. */
  readonly events: MechanismEvent[];
  /** Pure epsilon, composed by adding (basic composition). */
  readonly pureEpsilon: number;
}

export function releaseCost(mechanism: ReleaseMechanism): ReleaseCost {
  switch (mechanism.type) {
    case 'subsampled-gaussian': {
      const { noiseMultiplier, sampleRate, steps, sampling } = mechanism;
      return { events: [{ noiseMultiplier, sampleRate, steps, sampling }], pureEpsilon: 0 };
    }
    case 'gaussian':
      // A full-dataset Gaussian query is the q = 1 case of the sampled Gaussian.
      return {
        events: [{ noiseMultiplier: mechanism.noiseStd / mechanism.sensitivity, sampleRate: 1, steps: mechanism.count ?? 1, sampling: 'poisson' }],
        pureEpsilon: 0,
      };
    case 'laplace':
      return { events: [], pureEpsilon: ((mechanism.count ?? 1) * mechanism.sensitivity) / mechanism.noiseScale };
    case 'pure-dp':
      return { events: [], pureEpsilon: mechanism.epsilon };
  }
}
