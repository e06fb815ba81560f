import type { RandomSource } from '../../src/crypto/random.js';
import type { AdvertiseKeysMessage, MaskedInputMessage, SecAggInput, SecAggParams, ShareKeysMessage } from '../../src/secagg/messages.js';
import { SecAggClient } from '../../src/secagg/client.js';
import { SecAggServer } from '../../src/secagg/server.js';

export { seededRandom } from '../crypto/helpers.js';

export function ids(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}

export function makeParams(overrides: Partial<SecAggParams> & { nodeIds: number[] }): SecAggParams {
  const n = overrides.nodeIds.length;
  return {
    roundId: 'test-round',
    degree: n - 1,
    threshold: Math.floor(n / 2) + 1,
    vectorLength: 4,
    clip: 1,
    maxWeight: 1,
    ...overrides,
  };
}

/** Exact (float64) sum of weight * clip(values) over the contributors. */
export function plainWeightedSum(
  inputs: ReadonlyMap<number, SecAggInput>,
  contributors: readonly number[],
  clip: number,
): { sum: Float64Array; weightSum: number } {
  const first = inputs.values().next().value!;
  const sum = new Float64Array(first.values.length);
  let weightSum = 0;
  for (const id of contributors) {
    const { values, weight = 1 } = inputs.get(id)!;
    weightSum += weight;
    for (let i = 0; i < sum.length; i++) sum[i]! += weight * Math.max(-clip, Math.min(clip, values[i]!));
  }
  return { sum, weightSum };
}

/** Pearson chi-square statistic of counts against the uniform distribution. */
export function chiSquareUniform(counts: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  const expected = total / counts.length;
  let stat = 0;
  for (let i = 0; i < counts.length; i++) stat += (counts[i]! - expected) ** 2 / expected;
  return stat;
}

/**
 * Upper critical value of chi-square with `df` degrees of freedom at the
 * normal quantile z (Wilson-Hilferty; within 0.5% for df >= 100).
 * z = 3.090 -> alpha = 1e-3, z = 4.753 -> alpha = 1e-6.
 */
export function chiSquareCritical(df: number, z: number): number {
  const c = 2 / (9 * df);
  return df * (1 - c + z * Math.sqrt(c)) ** 3;
}

/** Histogram (256 bins) of byte `byteIndex` (0 = least significant) of each ring element. */
export function byteHistogram(vector: Uint32Array, byteIndex: number): Uint32Array {
  const counts = new Uint32Array(256);
  for (const v of vector) counts[(v >>> (8 * byteIndex)) & 0xff]!++;
  return counts;
}

/**
 * Drives a round by hand, all nodes honest and present, up to the unmasking
 * requests; returns every message so tests can play a deviating coordinator.
 */
export function runUntilUnmasking(params: SecAggParams, inputs: (id: number) => SecAggInput, random: RandomSource) {
  const server = new SecAggServer(params, { random });
  const clients = new Map(params.nodeIds.map((id) => [id, new SecAggClient(id, { random })]));
  const setup = server.setupMessage();
  const adverts = new Map<number, AdvertiseKeysMessage>();
  for (const [id, client] of clients) {
    const m = client.handleSetup(setup);
    adverts.set(id, m);
    server.receiveAdvertiseKeys(m);
  }
  const broadcasts = server.finishAdvertiseStage();
  const shareKeys = new Map<number, ShareKeysMessage>();
  for (const [id, m] of broadcasts) {
    const reply = clients.get(id)!.handleKeyBroadcast(m);
    shareKeys.set(id, reply);
    server.receiveShareKeys(reply);
  }
  const forwarded = server.finishShareKeysStage();
  const masked = new Map<number, MaskedInputMessage>();
  for (const [id, m] of forwarded) {
    const reply = clients.get(id)!.handleForwardedShares(m, inputs(id));
    masked.set(id, reply);
    server.receiveMaskedInput(reply);
  }
  const requests = server.finishMaskedInputStage();
  return { server, clients, setup, adverts, broadcasts, shareKeys, forwarded, masked, requests };
}
