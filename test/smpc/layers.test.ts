import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convGeometry, convRing, convRingBigInt, poolWindows, type ConvGeometry } from '../../src/smpc/linear.js';
import { checkPlan, referenceForward, ringRandom, runInProcess, type OpWeights, type Plan, type PlanOp } from '../../src/smpc/index.js';

const rand = (n: number): number => Math.floor(Math.random() * n);

function ringOf(values: number[]): BigUint64Array {
  return BigUint64Array.from(values, (v) => BigInt.asUintN(64, BigInt(v)));
}

/** A plan whose "logits" are the last op's output, revealed to party 0. */
function plan(shape: [number, number, number], ops: PlanOp[], sizes: Record<string, number>, scales: Record<string, number> = {}): Plan {
  const tensors = Object.fromEntries(Object.entries(sizes).map(([k, size]) => [k, { size, scale: scales[k] ?? 12 }]));
  const last = ops[ops.length - 1]!.output;
  const p: Plan = { version: 1, input: { name: 'x', shape, fractionBits: 12, limit: 1e9 }, ops, tensors, logits: last, classes: sizes[last]!, argmaxWindow: 52, revealLogits: true };
  checkPlan(p);
  return p;
}

function randomGeometry(): ConvGeometry {
  const k = [1, 2, 3][rand(3)]!;
  const size = k + rand(6);
  return convGeometry([size, size + rand(3), 1 + rand(19)], 2 + rand(4), [k, k], 1 + rand(2), rand(2) ? 'same' : 'valid');
}

test('ring convolution: the WebAssembly kernel equals BigInt arithmetic on random shapes and full-range values', () => {
  for (let trial = 0; trial < 30; trial++) {
    const g = randomGeometry();
    const x = ringRandom(g.inH * g.inW * g.inC);
    const w = ringRandom(g.kh * g.kw * g.inC * g.outC);
    assert.deepEqual(convRing(x, w, g), convRingBigInt(x, w, g), JSON.stringify(g));
  }
});

test('max-pool windows: TensorFlow same padding leaves padded positions out', () => {
  const { windows, outH, outW } = poolWindows([5, 5, 1], 3, 2, 'same');
  assert.equal(outH, 3);
  assert.equal(outW, 3);
  assert.deepEqual(windows[0], [0, 1, 5, 6]);
  assert.equal(windows[4]!.length, 9);
});

test('encrypted conv is exact; conv + relu (fused 12-bit truncation) within one unit, on random shapes and values', async () => {
  for (let trial = 0; trial < 6; trial++) {
    const g = randomGeometry();
    const inSize = g.inH * g.inW * g.inC;
    const outSize = g.outH * g.outW * g.outC;
    const w: OpWeights = { w: ringOf(Array.from({ length: g.kh * g.kw * g.inC * g.outC }, () => rand(8193) - 4096)), bias: ringOf(Array.from({ length: g.outC }, () => rand(2 ** 25) - 2 ** 24)) };
    const weights = new Map([[0, w]]);
    const limit = 2 ** 14;
    const input = ringOf(Array.from({ length: inSize }, (_, i) => (i === 0 ? limit : i === 1 ? -limit : i === 2 ? 0 : rand(2 * limit + 1) - limit)));
    const lin = plan([g.inH, g.inW, g.inC], [{ kind: 'conv', input: 'x', output: 'y', geometry: g }], { x: inSize, y: outSize }, { y: 24 });
    const r1 = await runInProcess(lin, weights, [input]);
    assert.deepEqual(r1.results[0]!.logits, referenceForward(lin, weights, input).get('y'));
    const withRelu = plan([g.inH, g.inW, g.inC], [{ kind: 'conv', input: 'x', output: 'y', geometry: g }, { kind: 'relu', input: 'y', output: 'r', window: 48, shift: 12 }], { x: inSize, y: outSize, r: outSize }, { y: 24 });
    const r2 = await runInProcess(withRelu, weights, [input]);
    const ref = referenceForward(withRelu, weights, input).get('r')!;
    r2.results[0]!.logits!.forEach((v, i) => {
      const d = BigInt.asIntN(64, v - ref[i]!);
      assert.ok(d === 0n || d === 1n, `relu output ${i}: ${BigInt.asIntN(64, v)} vs ${BigInt.asIntN(64, ref[i]!)}`);
    });
  }
});

test('encrypted max pool (2x2 valid, 3x3 same stride 2), residual add with a lift, and sum pool are exact', async () => {
  for (const [pool, stride, padding] of [[2, 2, 'valid'], [3, 2, 'same']] as const) {
    const shape: [number, number, number] = [5 + rand(3), 5 + rand(3), 1 + rand(3)];
    const size = shape[0] * shape[1] * shape[2];
    const outs = poolWindows(shape, pool, stride, padding).windows.length;
    const p = plan(shape, [{ kind: 'maxpool', input: 'x', output: 'm', shape, pool, stride, padding, window: 40 }], { x: size, m: outs });
    const lim = 2 ** 38;
    const input = ringOf(Array.from({ length: size }, (_, i) => (i % 7 === 0 ? -(lim - 1) : i % 11 === 0 ? lim - 1 : i % 5 === 0 ? 0 : rand(2 ** 30) - 2 ** 29)));
    const r = await runInProcess(p, new Map(), [input]);
    assert.deepEqual(r.results[0]!.logits, referenceForward(p, new Map(), input).get('m'));
  }
  const shape: [number, number, number] = [3, 4, 2];
  const p = plan(
    shape,
    [
      { kind: 'add', inputs: ['x', 'x'], output: 'a', lift: [0, 12] },
      { kind: 'sumpool', input: 'a', output: 's', positions: 12, channels: 2 },
    ],
    { x: 24, a: 24, s: 2 },
  );
  const input = ringOf(Array.from({ length: 24 }, () => rand(2 ** 20) - 2 ** 19));
  const r = await runInProcess(p, new Map(), [input]);
  assert.deepEqual(r.results[0]!.logits, referenceForward(p, new Map(), input).get('s'));
});

test('argmax: only the class comes back, ties go to the first class, as plaintext argmax', async () => {
  const shape: [number, number, number] = [1, 1, 4];
  const p: Plan = { ...plan(shape, [{ kind: 'sumpool', input: 'x', output: 'l', positions: 1, channels: 4 }], { x: 4, l: 4 }), revealLogits: false, argmaxWindow: 40 };
  const cases: [number[], number][] = [
    [[1, 2, 3, 4], 3],
    [[4, 3, 2, 1], 0],
    [[-5, 7, 7, -1], 1],
    [[0, 0, 0, 0], 0],
    [[-(2 ** 37), 2 ** 37, -3, 2 ** 37 - 1], 1],
  ];
  const r = await runInProcess(p, new Map(), cases.map(([v]) => ringOf(v)));
  cases.forEach(([v, want], i) => {
    assert.equal(r.results[i]!.classIndex, want, `argmax of ${v}`);
    assert.equal(r.results[i]!.logits, undefined);
  });
});
