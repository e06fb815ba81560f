import { test } from 'node:test';
import assert from 'node:assert/strict';
import { digitLayout } from '../../src/smpc/digit-compare.js';
import { gateCompareBits, gateGen } from '../../src/smpc/gate.js';
import { decodeFixed, encodeFixed } from '../../src/smpc/ring64.js';
import { chiSquareUniform, reveal, runGatePair, shareSigned } from './helpers.js';

/** relu(z) >> t, rounded down (what the gate approximates from above by at most 1). */
const floorRelu = (z: bigint, t: number): bigint => (z > 0n ? z >> BigInt(t) : 0n);

function checkGate(values: bigint[], window: number, shift: number, drop = 0): void {
  const [k0, k1] = gateGen({ count: values.length, window, shift, drop });
  const [z0, z1] = shareSigned(values);
  const { out } = runGatePair(k0, k1, z0, z1);
  const pos = reveal(out[0].pos, out[1].pos);
  const relu = reveal(out[0].relu, out[1].relu);
  // Dropping bits blurs the sign only on [-2^drop, -1]: there pos may be 1, and a shift-0 relu may pass z.
  const blurred = (z: bigint): boolean => drop > 0 && z < 0n && z >= -(1n << BigInt(drop));
  values.forEach((z, i) => {
    if (blurred(z)) {
      assert.ok(pos[i] === 0n || pos[i] === 1n, `pos of ${z} is a bit`);
      assert.ok(relu[i] === 0n || (shift === 0 && relu[i] === z), `relu of ${z} with drop ${drop}: got ${relu[i]}`);
      return;
    }
    assert.equal(pos[i], z >= 0n ? 1n : 0n, `pos of ${z} (window ${window}, drop ${drop})`);
    const d = relu[i]! - floorRelu(z, shift);
    assert.ok(d === 0n || (d === 1n && z >= 0n), `relu(${z}) >> ${shift}: got ${relu[i]}, expected ${floorRelu(z, shift)} (+1 at most)`);
    if (shift === 0) assert.equal(d, 0n, `relu without a shift is exact (z = ${z})`);
  });
}

test('gate with dropped bits: exhaustive over an 8-bit window (every z in [-128, 128 - 2^drop)), shift = drop and shift 0', () => {
  for (const drop of [1, 3, 5]) {
    const all: bigint[] = [];
    for (let z = -128; z < 128 - 2 ** drop; z++) all.push(BigInt(z));
    for (let draw = 0; draw < 6; draw++) {
      checkGate(all, 8, drop, drop);
      checkGate(all, 8, 0, drop);
    }
  }
});

test('gate with dropped bits: window 35, drop 12 (a ReLU) and drop 10 (a max pool), edges around zero and the range limit', () => {
  const lim = 1n << 34n;
  for (const [shift, drop] of [[12, 12], [0, 10]] as const) {
    const top = lim - (1n << BigInt(drop)) - 1n;
    const values = [0n, 1n, -1n, 4095n, 4096n, -4096n, -4097n, -1023n, -1024n, -1025n, top, top - 1n, -lim, -(lim - 1n), 1n << 33n, -(1n << 33n)];
    for (let i = 0; i < 3000; i++) {
      const v = BigInt(Math.floor(Math.random() * 2 ** 33));
      values.push(Math.random() < 0.5 ? v : -v);
    }
    checkGate(values, 35, shift, drop);
  }
});

test('gate: exhaustive over a small window (8 bits: every z in [-128, 127]), several mask draws, shifts 0 and 3', () => {
  const all: bigint[] = [];
  for (let z = -128; z < 128; z++) all.push(BigInt(z));
  for (let draw = 0; draw < 8; draw++) {
    checkGate(all, 8, 0);
    checkGate(all, 8, 3);
  }
});

test('gate: window 40 with the fused 12-bit truncation, random values and the edges around zero and the range limit', () => {
  const lim = 1n << 39n;
  const edges = [0n, 1n, -1n, 2n, -2n, 4095n, 4096n, 4097n, -4096n, lim - 1n, -(lim - 1n), -lim, lim - 2n, -(lim - 2n), 1n << 38n, -(1n << 38n)];
  const values = edges.slice();
  for (let i = 0; i < 2000; i++) {
    const v = BigInt(Math.floor(Math.random() * 2 ** 39));
    values.push(Math.random() < 0.5 ? v : -v);
  }
  checkGate(values, 40, 12);
  checkGate(values, 40, 0);
});

test('gate: a tampered dealer key breaks correctness visibly', () => {
  const values: bigint[] = [];
  for (let i = 0; i < 1000; i++) values.push(BigInt(Math.floor((Math.random() - 0.5) * 2 ** 30)));
  const [k0, k1] = gateGen({ count: values.length, window: 40, shift: 12 });
  // One flipped byte in every gate's top-digit table of the model owner's comparison (a corrupt transfer).
  const l = digitLayout(gateCompareBits(k1));
  k1.tables = k1.tables.slice();
  for (let g = 0; g < values.length; g++) k1.tables[(g * l.tableBits + l.lt[l.widths.length - 1]!) >> 3] ^= 0xff;
  const [z0, z1] = shareSigned(values);
  const { out } = runGatePair(k0, k1, z0, z1);
  const pos = reveal(out[0].pos, out[1].pos);
  const wrong = values.filter((z, i) => pos[i] !== (z >= 0n ? 1n : 0n)).length;
  assert.ok(wrong > 200, `only ${wrong} of 1000 signs are wrong with a tampered key`);
});

/** What both parties learn from the messages of a gate: zhat = o0 + o1, the first 4 opened digit bits, chat = bits0 ^ bits1. */
function openedValues(run: ReturnType<typeof runGatePair>, n: number, vars: number): { zhat: BigUint64Array; digits: Uint8Array; chat: Uint8Array } {
  const [fromOne, fromZero] = run.received;
  const zhat = new BigUint64Array(n);
  const chat = new Uint8Array(n);
  const digits = new Uint8Array(n);
  const bit = (a: Uint8Array, o: number): number => (a[o >> 3]! >> (o & 7)) & 1;
  for (let i = 0; i < n; i++) {
    zhat[i] = fromOne.open[i]! + fromZero.open[i]!;
    chat[i] = bit(fromOne.bits, i) ^ bit(fromZero.bits, i);
    for (let v = 0; v < 4; v++) digits[i] = digits[i]! | ((bit(fromOne.digits, i * vars + v) ^ bit(fromZero.digits, i * vars + v)) << v);
  }
  return { zhat, digits, chat };
}

test("gate: each party's view (the messages it receives) is uniform whatever the secret", () => {
  const n = 4000;
  // Each party's view is its own material plus the other's two messages; both messages are
  // functions of (zhat, chat) and the party's own material, so their distribution is the point.
  for (const secret of [-5n, 0n, (1n << 38n) + 7n, -(1n << 38n)]) {
    const [k0, k1] = gateGen({ count: n, window: 40, shift: 12 });
    const [z0, z1] = shareSigned(new Array<bigint>(n).fill(secret));
    const run = runGatePair(k0, k1, z0, z1);
    const { zhat, digits, chat } = openedValues(run, n, digitLayout(gateCompareBits(k0)).vars);
    const top = new Array<number>(16).fill(0);
    const dig = new Array<number>(16).fill(0);
    const win = new Array<number>(16).fill(0);
    const bit = [0, 0];
    const q = [0, 0];
    for (let i = 0; i < n; i++) {
      top[Number(zhat[i]! >> 60n)]!++;
      win[Number((zhat[i]! >> 36n) & 15n)]!++;
      dig[digits[i]!]!++;
      bit[chat[i]!]!++;
      q[Number((zhat[i]! >> 39n) & 1n) ^ chat[i]!]!++;
    }
    // Critical values far in the tail (p < 1e-6): a failure is a leak, not bad luck.
    for (const [name, counts, limit] of [['zhat top bits', top, 60], ['zhat window bits', win, 60], ['opened digit bits', dig, 60], ['opened bit', bit, 25], ['q = p xor opened bit', q, 25]] as const) {
      const chi = chiSquareUniform(counts as number[]);
      assert.ok(chi < limit, `secret ${secret}, ${name}: chi-square ${chi.toFixed(1)}`);
    }
  }
});

test('gate view test has teeth: without the mask bit the opened comparison bit gives the sign away', () => {
  const n = 2000;
  const [k0, k1] = gateGen({ count: n, window: 40, shift: 0 });
  k1.maskBit.set(k0.maskBit); // m = 0: the opened bit is c itself
  const [z0, z1] = shareSigned(new Array<bigint>(n).fill(-5n));
  const { chat } = openedValues(runGatePair(k0, k1, z0, z1), n, digitLayout(gateCompareBits(k0)).vars);
  const ones = chat.reduce((a, b) => a + b, 0);
  assert.ok(chiSquareUniform([ones, n - ones]) > 100, `the unmasked bit is far from uniform (${ones} ones of ${n})`);
});

test('gate view test has teeth: without their masks the opened digit bits are far from uniform', () => {
  const n = 2000;
  const [k0, k1] = gateGen({ count: n, window: 40, shift: 0 });
  k1.masks = k0.masks.slice(); // the masks of the opened eq and lt bits cancel
  const [z0, z1] = shareSigned(new Array<bigint>(n).fill(-5n));
  const { digits } = openedValues(runGatePair(k0, k1, z0, z1), n, digitLayout(gateCompareBits(k0)).vars);
  const counts = new Array<number>(16).fill(0);
  for (const d of digits) counts[d]!++;
  assert.ok(chiSquareUniform(counts) > 200, `unmasked digit bits: chi-square ${chiSquareUniform(counts).toFixed(1)}`);
});

test('fixed point: 12 fractional bits round trip; values outside the calibrated range are refused', () => {
  const v = [0, 1, -1, 0.5, -2.25, 1000.000244140625];
  assert.deepEqual(Array.from(decodeFixed(encodeFixed(v, 12), 12)), v);
  assert.throws(() => encodeFixed([0, 17], 12, 16, 'pixel'), /pixel 1 is 17, outside the calibrated range \[-16, 16\]/);
  assert.throws(() => encodeFixed([Number.NaN], 12, 16, 'pixel'), /pixel 0 is NaN/);
});
