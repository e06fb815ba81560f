import { perPartyBudget, randomWords, roundStochastic, decodeFixedPoint } from '../crypto/fixed-point.js';
import type { RandomSource } from '../crypto/random.js';
import { SecAggError } from './errors.js';
import type { SecAggInput, SecAggParams } from './messages.js';

/**
 * How a SecAgg+ input becomes a ring vector (crypto/fixed-point.ts).
 *
 * Every coordinate of the sum of n encodings must stay inside the signed
 * range (-2^31, 2^31), so each node gets a budget of B = floor((2^31-1)/n)
 * per coordinate and the scale maps the largest admissible value to B - 1.
 * The weighted value w*x lies in [-clip*maxWeight, clip*maxWeight]; the
 * weight coordinate in [0, maxWeight] gets its own scale.
 * Rounding is stochastic, so the decoded sum of c contributions is within
 * c / scale of the exact sum (per coordinate).
 */
export interface FixedPointScheme {
  /** Ring units per unit of weighted value. */
  valueScale: number;
  /** Ring units per unit of weight. */
  weightScale: number;
  /** Largest admissible |w * x|. */
  valueRange: number;
}

export function fixedPointScheme(params: Pick<SecAggParams, 'nodeIds' | 'clip' | 'maxWeight'>): FixedPointScheme {
  const budget = perPartyBudget(params.nodeIds.length);
  const valueRange = params.clip * params.maxWeight;
  return { valueScale: budget / valueRange, weightScale: budget / params.maxWeight, valueRange };
}

/** Largest possible |decoded - exact| per coordinate of the sum of `contributors` inputs inside the clip range. */
export function quantisationErrorBound(scheme: FixedPointScheme, contributors: number): { value: number; weight: number } {
  return { value: contributors / scheme.valueScale, weight: contributors / scheme.weightScale };
}

/** Clips, weights and encodes an input as vectorLength + 1 ring elements (weight last). */
export function encodeInput(input: SecAggInput, params: SecAggParams, scheme: FixedPointScheme, random: RandomSource): Uint32Array {
  const d = params.vectorLength;
  if (input.values.length !== d) {
    throw new SecAggError('invalid-input', `update has ${input.values.length} values, the round expects ${d}`);
  }
  const weight = input.weight ?? 1;
  if (!(Number.isFinite(weight) && weight >= 0 && weight <= params.maxWeight)) {
    throw new SecAggError('invalid-input', `weight ${weight} is outside [0, ${params.maxWeight}]`);
  }
  const coins = randomWords(d + 1, random);
  const out = new Uint32Array(d + 1);
  const clip = params.clip;
  const factor = weight * scheme.valueScale;
  const values = input.values;
  for (let i = 0; i < d; i++) {
    const x = values[i]!;
    if (Number.isNaN(x)) throw new SecAggError('invalid-input', `update coordinate ${i} is NaN`);
    const clipped = x > clip ? clip : x < -clip ? -clip : x;
    out[i] = roundStochastic(clipped * factor, coins[i]!);
  }
  out[d] = roundStochastic(weight * scheme.weightScale, coins[d]!);
  return out;
}

/** Decodes an unmasked sum: the weighted sum of updates and the sum of weights. */
export function decodeSum(sum: Uint32Array, scheme: FixedPointScheme): { sum: Float64Array; weightSum: number } {
  const d = sum.length - 1;
  return { sum: decodeFixedPoint(sum.subarray(0, d), scheme.valueScale), weightSum: (sum[d]! | 0) / scheme.weightScale };
}
