import { PrivmedError } from '../common/errors.js';

/**
 * How a batch is drawn from a dataset of n records.
 * - 'poisson': every record joins each batch independently with probability
 *   sampleRate (variable batch size). Neighbouring datasets differ by adding or
 *   removing one record; one record moves the clipped-gradient sum by at most
 *   the clipping norm.
 * - 'uniform': a fixed-size batch of sampleRate * n records drawn without
 *   replacement. The batch size is public, so neighbouring datasets differ by
 *   replacing one record, which can move the clipped-gradient sum by up to TWICE
 *   the clipping norm. The RDP accountant charges for that; see rdp-uniform.ts.
 */
export type Sampling = 'poisson' | 'uniform';
export const SAMPLINGS: readonly Sampling[] = ['poisson', 'uniform'];

/**
 * `steps` runs of a subsampled Gaussian mechanism: noise standard deviation is
 * noiseMultiplier times the L2 sensitivity (the clipping norm for DP-SGD). A
 * Gaussian release on the whole dataset is sampleRate 1, steps 1.
 */
export interface MechanismEvent {
  readonly noiseMultiplier: number;
  readonly sampleRate: number;
  readonly steps: number;
  readonly sampling: Sampling;
}

/** Checks one event; `where` names it in the error (e.g. "event 3"). */
export function checkEvent(event: MechanismEvent, where = 'event'): MechanismEvent {
  const { noiseMultiplier, sampleRate, steps, sampling } = event;
  if (!(noiseMultiplier > 0) || !Number.isFinite(noiseMultiplier)) {
    throw new PrivmedError(`${where}: noiseMultiplier must be a finite number > 0, got ${noiseMultiplier}`, {
      hint: 'a noise multiplier of 0 means no privacy at all; the accountants refuse it',
    });
  }
  if (!(sampleRate > 0 && sampleRate <= 1)) {
    throw new PrivmedError(`${where}: sampleRate must be in (0, 1], got ${sampleRate}`);
  }
  if (!Number.isSafeInteger(steps) || steps < 0) {
    throw new PrivmedError(`${where}: steps must be a whole number >= 0, got ${steps}`);
  }
  if (!SAMPLINGS.includes(sampling)) {
    throw new PrivmedError(`${where}: sampling must be 'poisson' or 'uniform', got ${String(sampling)}`);
  }
  return { noiseMultiplier, sampleRate, steps, sampling };
}

/**
 * Composition is commutative, so a history is a multiset of mechanisms with
 * step counts: identical mechanisms are merged and zero-step events dropped.
 * The order of first appearance is kept, so results are reproducible.
 */
export function mergeEvents(events: readonly MechanismEvent[]): MechanismEvent[] {
  const merged = new Map<string, MechanismEvent>();
  events.forEach((e, i) => {
    checkEvent(e, `event ${i}`);
    if (e.steps === 0) return;
    const key = `${e.noiseMultiplier}|${e.sampleRate}|${e.sampling}`;
    const seen = merged.get(key);
    merged.set(key, seen ? { ...seen, steps: seen.steps + e.steps } : { ...e });
  });
  return [...merged.values()];
}

/** Checks a delta for an (epsilon, delta) query. */
export function checkDelta(delta: number): number {
  if (!(delta > 0 && delta < 1)) {
    throw new PrivmedError(`delta must be in (0, 1), got ${delta}`, {
      hint: 'a common choice is delta < 1/n for a dataset of n records, e.g. 1e-5',
    });
  }
  return delta;
}
