import { gateBitShare, gateDigitShare, gateFinish, gateOpenShare, type GateOutput, type GateShare } from '../../src/smpc/gate.js';
import { ringRandom } from '../../src/smpc/ring64.js';

/** Additive shares of signed integers. */
export function shareSigned(values: bigint[]): [BigUint64Array, BigUint64Array] {
  const z0 = ringRandom(values.length);
  const z1 = new BigUint64Array(values.length);
  values.forEach((v, i) => (z1[i] = BigInt.asUintN(64, v) - z0[i]!));
  return [z0, z1];
}

export interface GateRun {
  out: [GateOutput, GateOutput];
  /** What each party received from the other: the opening share, the masked digit bits and the packed bits. */
  received: [{ open: BigUint64Array; digits: Uint8Array; bits: Uint8Array }, { open: BigUint64Array; digits: Uint8Array; bits: Uint8Array }];
}

/** Both parties' steps of the gate, messages passed by hand. */
export function runGatePair(k0: GateShare, k1: GateShare, z0: BigUint64Array, z1: BigUint64Array): GateRun {
  const o0 = gateOpenShare(k0, z0);
  const o1 = gateOpenShare(k1, z1);
  const zhat = new BigUint64Array(o0.length);
  for (let i = 0; i < zhat.length; i++) zhat[i] = o0[i]! + o1[i]!;
  const d0 = gateDigitShare(k0, zhat);
  const d1 = gateDigitShare(k1, zhat);
  const b0 = gateBitShare(k0, zhat, d0, d1);
  const b1 = gateBitShare(k1, zhat, d0, d1);
  return {
    out: [gateFinish(k0, zhat, b0, b1), gateFinish(k1, zhat, b0, b1)],
    received: [
      { open: o1, digits: d1, bits: b1 },
      { open: o0, digits: d0, bits: b0 },
    ],
  };
}

export function reveal(a: BigUint64Array, b: BigUint64Array): bigint[] {
  return Array.from(a, (v, i) => BigInt.asIntN(64, v + b[i]!));
}

/** Pearson's chi-square statistic of counts against the uniform distribution. */
export function chiSquareUniform(counts: number[]): number {
  const n = counts.reduce((a, b) => a + b, 0);
  const e = n / counts.length;
  return counts.reduce((a, c) => a + (c - e) ** 2 / e, 0);
}
