import { SecAggError } from './errors.js';
import type { SecAggInput, SecAggParams } from './messages.js';
import type { RandomSource } from './random.js';
import { RING_BITS } from './ring.js';

/**
 * Fixed-point encoding into Z_{2^32}, two's complement.
 *
 * Every coordinate of the sum of n encodings must stay inside the signed
 * range (-2^31, 2^31), so each node gets a budget of B = floor((2^31-1)/n)
 * per coordinate and the scale maps the largest admissible value to B - 1.
 * The weighted value w*x lies in [-clip*maxWeight, clip*maxWeight]; the
 * weight coordinate in [0, maxWeight] gets its own scale.
 *
 * Rounding is stochastic with CSPRNG coins, so each encoding is unbiased and
 * off by less than one step: the decoded sum of c contributions is within
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

const SIGNED_MAX = 2 ** (RING_BITS - 1) - 1;
const TWO_POW_MINUS_32 = 2 ** -32;

export function fixedPointScheme(params: Pick<SecAggParams, 'nodeIds' | 'clip' | 'maxWeight'>): FixedPointScheme {
  const budget = Math.floor(SIGNED_MAX / params.nodeIds.length) - 1;
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
    // floor(v + u), u ~ U[0,1): rounds up with probability frac(v), so E = v.
    out[i] = Math.floor(clipped * factor + coins[i]! * TWO_POW_MINUS_32);
  }
  out[d] = Math.floor(weight * scheme.weightScale + coins[d]! * TWO_POW_MINUS_32);
  return out;
}

/** Decodes an unmasked sum: the weighted sum of updates and the sum of weights. */
export function decodeSum(sum: Uint32Array, scheme: FixedPointScheme): { sum: Float64Array; weightSum: number } {
  const d = sum.length - 1;
  const out = new Float64Array(d);
  const inv = 1 / scheme.valueScale;
  for (let i = 0; i < d; i++) out[i] = (sum[i]! | 0) * inv;
  return { sum: out, weightSum: (sum[d]! | 0) / scheme.weightScale };
}

/** Uniform 32-bit words (byte order is irrelevant for coins). */
function randomWords(count: number, random: RandomSource): Uint32Array {
  const bytes = random(4 * count);
  if (bytes.byteOffset % 4 === 0) return new Uint32Array(bytes.buffer, bytes.byteOffset, count);
  return new Uint32Array(bytes.slice().buffer);
}
