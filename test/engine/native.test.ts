// The native add-on's kernels against tfjs-backend-cpu, on every instruction
// set this CPU runs (AVX-512, AVX2+FMA, portable C). Skipped, with a note, when
// the add-on is not built or PRIVMED_ENGINE=wasm; the other engine tests then
// cover the wasm kernels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend.js';
import { engineChoice, useEngine, useNativeIsa, type NativeIsa } from '../../src/engine/native-addon.js';
import { nativeRunCount } from '../../src/engine/kernels/native-kernels.js';
import { CONV_SHAPE, convOutShape, fits, randomInput, runOn, TOLERANCE, wasmVsCpu } from './compare.js';

type Pad = 'same' | 'valid';
type Case = [number[], number[], number, Pad];

await initBackend('wasm');
const choice = engineChoice()!;
const ORDER: NativeIsa[] = ['scalar', 'avx2', 'avx512'];
const ISAS = choice.best ? ORDER.slice(0, ORDER.indexOf(choice.best) + 1) : [];
const skip = ISAS.length === 0 ? `native add-on not in use (${choice.reason ?? 'unknown'}): its tests are skipped` : false;
if (skip) process.stderr.write(`*** ${skip} ***\n`);

// [x shape, filter shape, stride, padding]: the three conv paths (below 16 input channels an
// explicit im2col, or filter rows as taps when a row spans 3 floats or more; taps gathered in
// place above), tile edges in rows and columns, 7x7/2 stem,
// 1x1/2 shortcut, stride 3, valid padding, non-square filters, batch 1.
const CASES: Case[] = [
  [[2, 7, 9, 3], [3, 3, 3, 5], 1, 'same'],
  [[2, 7, 9, 3], [3, 3, 3, 5], 2, 'valid'],
  [[1, 13, 11, 1], [7, 7, 1, 4], 2, 'same'],
  [[2, 9, 9, 20], [1, 1, 20, 40], 2, 'same'],
  [[2, 9, 10, 20], [3, 3, 20, 7], 2, 'same'],
  [[3, 10, 10, 17], [7, 7, 17, 33], 1, 'valid'],
  [[1, 11, 6, 24], [2, 4, 24, 2], 3, 'same'],
  [[2, 12, 12, 64], [3, 3, 64, 64], 1, 'same'],
  [[2, 8, 8, 64], [3, 3, 64, 128], 2, 'same'],
  [[2, 8, 8, 64], [1, 1, 64, 128], 2, 'valid'],
  [[1, 5, 5, 130], [3, 3, 130, 35], 1, 'same'],
  // Filter rows at least 128 floats apart and several row tiles per task: B panels packed (forward, then input gradient).
  [[2, 10, 10, 24], [3, 3, 24, 130], 1, 'same'],
  [[2, 10, 10, 130], [3, 3, 130, 20], 1, 'same'],
];

const conv = (stride: number, pad: Pad) => (x: tf.Tensor, w: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, pad);
const fusedConv = (stride: number, pad: Pad) => (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
  tf.fused.conv2d({ x: x as tf.Tensor4D, filter: w as tf.Tensor4D, strides: stride, pad, bias: b, activation: 'relu' });
const filterGrad = (filterShape: number[], stride: number, pad: Pad) => (x: tf.Tensor, dy: tf.Tensor) =>
  tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: stride, pad, dataFormat: 'NHWC', filterShape } as never) as tf.Tensor;
const inputGrad = (inputShape: number[], stride: number, pad: Pad) => (dy: tf.Tensor, filter: tf.Tensor) =>
  tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, { strides: stride, pad, dataFormat: 'NHWC', inputShape } as never) as tf.Tensor;

/** Worst error of the three conv kernels (and the fused forward) on one shape, checking they ran natively. */
async function convErrors(xShape: number[], wShape: number[], stride: number, pad: Pad, seed: number): Promise<number[]> {
  const dyShape = convOutShape(xShape, wShape, stride, pad);
  const x = randomInput(xShape, seed), w = randomInput(wShape, seed + 1), dy = randomInput(dyShape, seed + 2);
  const bias = randomInput([wShape[3]!], seed + 3);
  const before = nativeRunCount();
  const errors = [
    await wasmVsCpu([x, w], conv(stride, pad)),
    await wasmVsCpu([x, w, bias], fusedConv(stride, pad)),
    await wasmVsCpu([x, dy], filterGrad(wShape, stride, pad)),
    await wasmVsCpu([dy, w], inputGrad(xShape, stride, pad)),
  ];
  assert.equal(nativeRunCount() - before, 4, 'every kernel ran on the add-on');
  return errors;
}

function pinIsa(isa: NativeIsa, t: { after(fn: () => void): void }): void {
  useEngine('native');
  assert.equal(useNativeIsa(isa), isa);
  t.after(() => {
    useNativeIsa(choice.isa ?? choice.best!);
    useEngine(null);
  });
}

for (const isa of ISAS) {
  test(`native ${isa}: conv forward, fused forward, filter and input gradients match cpu`, { skip }, async (t) => {
    pinIsa(isa, t);
    for (const [i, [xShape, wShape, stride, pad]] of CASES.entries()) {
      const errors = await convErrors(xShape, wShape, stride, pad, 10 * i);
      for (const [k, e] of errors.entries()) {
        assert.ok(e <= TOLERANCE, `${['conv', 'fused conv', 'dW', 'dX'][k]} x [${xShape}] w [${wShape}] stride ${stride} ${pad}: relative error ${e}`);
      }
    }
  });

  test(`native ${isa}: convolutions match cpu on random shapes (property)`, { skip }, async (t) => {
    pinIsa(isa, t);
    const shapes = fc.record({ ...CONV_SHAPE, ci: fc.integer({ min: 1, max: 40 }), co: fc.integer({ min: 1, max: 40 }) }).filter(fits);
    await fc.assert(
      fc.asyncProperty(shapes, async (s) => {
        const errors = await convErrors([s.n, s.h, s.w, s.ci], [s.kh, s.kw, s.ci, s.co], s.stride, s.pad, s.seed);
        return errors.every((e) => e <= TOLERANCE);
      }),
      { numRuns: 25, seed: 1616 },
    );
  });

  test(`native ${isa}: matrix products (transposed, batched, fused) match cpu`, { skip }, async (t) => {
    pinIsa(isa, t);
    const shapes = fc.record({
      batch: fc.integer({ min: 1, max: 3 }), m: fc.integer({ min: 1, max: 40 }), k: fc.integer({ min: 1, max: 300 }),
      n: fc.integer({ min: 1, max: 70 }), ta: fc.boolean(), tb: fc.boolean(), broadcastB: fc.boolean(), seed: fc.integer({ min: 0, max: 1e6 }),
    });
    await fc.assert(
      fc.asyncProperty(shapes, async (s) => {
        const a = randomInput([s.batch, ...(s.ta ? [s.k, s.m] : [s.m, s.k])], s.seed);
        const b = randomInput([s.broadcastB ? 1 : s.batch, ...(s.tb ? [s.n, s.k] : [s.k, s.n])], s.seed + 1);
        const bias = randomInput([s.n], s.seed + 2);
        const before = nativeRunCount();
        const plain = await wasmVsCpu([a, b], (x, y) => tf.matMul(x!, y!, s.ta, s.tb));
        const fused = await wasmVsCpu([a, b, bias], (x, y, z) => tf.fused.matMul({ a: x!, b: y!, transposeA: s.ta, transposeB: s.tb, bias: z, activation: 'relu' }));
        return nativeRunCount() - before === 2 && plain <= TOLERANCE && fused <= TOLERANCE;
      }),
      { numRuns: 30, seed: 1617 },
    );
  });
}

test('a dense layer and a conv net train to the same gradients on the native engine as on cpu', { skip }, async () => {
  const x = randomInput([4, 12, 12, 1], 5), w1 = randomInput([3, 3, 1, 16], 6), w2 = randomInput([3, 3, 16, 24], 7), d = randomInput([6 * 6 * 24, 3], 8);
  const loss = (xx: tf.Tensor, a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => {
    const h1 = tf.relu(tf.conv2d(xx as tf.Tensor4D, a as tf.Tensor4D, 1, 'same'));
    const h2 = tf.relu(tf.conv2d(h1, b as tf.Tensor4D, 2, 'same'));
    return tf.sum(tf.square(tf.matMul(tf.reshape(h2, [4, -1]), c)));
  };
  const err = await wasmVsCpu([x, w1, w2, d], (xx, a, b, c) => {
    const g = tf.grads((p: tf.Tensor, q: tf.Tensor, r: tf.Tensor) => loss(xx!, p, q, r))([a!, b!, c!]);
    return g;
  });
  assert.ok(err <= TOLERANCE, `relative error ${err}`);
});

test('native Add, Sub, Multiply and RealDiv match cpu for equal shapes, scalars and channel broadcasts', { skip }, async () => {
  const big = [2, 16, 32, 33];
  const partners = [big, [33], [1, 1, 1, 33], [], [32, 33]];
  const ops: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
    ['add', tf.add], ['sub', tf.sub], ['mul', tf.mul], ['div', (a, b) => tf.div(a, tf.add(tf.abs(b), 0.5))],
  ];
  for (const [i, other] of partners.entries()) {
    const x = randomInput(big, 40 + i), y = randomInput(other, 50 + i);
    for (const [name, op] of ops) {
      for (const [first, second, order] of [[x, y, 'big first'], [y, x, 'big second']] as const) {
        const before = nativeRunCount();
        const err = await wasmVsCpu([first, second], (p, q) => op(p!, q!));
        assert.ok(nativeRunCount() > before, `${name} [${first.shape}] [${second.shape}] ran natively`);
        assert.ok(err <= TOLERANCE, `${name} [${first.shape}] [${second.shape}] (${order}): relative error ${err}`);
      }
    }
  }
});

test('native MaxPool matches cpu (windows 2x2/2, 3x3/2 same, 3x3/1 valid, odd sizes)', { skip }, async () => {
  const cases: [number[], number, number, Pad][] = [
    [[4, 16, 16, 32], 2, 2, 'valid'], [[2, 15, 13, 64], 3, 2, 'same'], [[3, 9, 11, 5], 3, 1, 'valid'], [[2, 8, 8, 3], 2, 2, 'same'],
  ];
  for (const [i, [shape, size, stride, pad]] of cases.entries()) {
    const before = nativeRunCount();
    const err = await wasmVsCpu([randomInput(shape, 70 + i)], (x) => tf.maxPool(x as tf.Tensor4D, size, stride, pad));
    assert.equal(nativeRunCount() - before, 1, `[${shape}] ${size}/${stride} ${pad} ran natively`);
    assert.ok(err <= TOLERANCE, `[${shape}] ${size}/${stride} ${pad}: relative error ${err}`);
  }
});

test('native FusedBatchNorm (inference) matches cpu, with and without scale and offset', { skip }, async () => {
  for (const [i, shape] of [[4, 16, 16, 32], [2, 9, 8, 129], [300, 64]].entries()) {
    const c = shape[shape.length - 1]!;
    const x = randomInput(shape, 80 + i), mean = randomInput([c], 90 + i), v = randomInput([c], 95 + i), scale = randomInput([c], 96 + i), offset = randomInput([c], 97 + i);
    for (const full of [true, false]) {
      const before = nativeRunCount();
      const err = await wasmVsCpu([x, mean, v, scale, offset], (xx, m, vv, s, o) =>
        tf.batchNorm(xx!, m!, tf.add(tf.abs(vv!), 0.1), full ? o : undefined, full ? s : undefined, 1e-3));
      assert.ok(nativeRunCount() > before, `[${shape}] ran natively`);
      assert.ok(err <= TOLERANCE, `[${shape}] scale/offset ${full}: relative error ${err}`);
    }
  }
});

test('native MaxPoolGrad matches cpu (2x2/2, 3x3/2 same with overlaps, ties, odd sizes)', { skip }, async () => {
  const cases: [number[], number, number, Pad][] = [[[4, 16, 16, 32], 2, 2, 'valid'], [[2, 15, 13, 64], 3, 2, 'same'], [[3, 9, 11, 5], 3, 1, 'valid']];
  for (const [i, [shape, size, stride, pad]] of cases.entries()) {
    const x = randomInput(shape, 60 + i);
    for (let k = 0; k < x.values.length; k += 7) x.values[k] = 0.25; // ties
    const dyShape = tf.backend_util.computePool2DInfo(shape as [number, number, number, number], size, stride, 1, pad).outShape;
    const before = nativeRunCount();
    const err = await wasmVsCpu([x, randomInput(dyShape, 65 + i)], (xx, dy) =>
      tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(v as tf.Tensor4D, size, stride, pad), dy!)))(xx!));
    assert.ok(nativeRunCount() - before >= 2, `[${shape}] ${size}/${stride} ${pad} ran natively`);
    assert.ok(err <= TOLERANCE, `[${shape}] ${size}/${stride} ${pad}: relative error ${err}`);
  }
});

test('native Relu matches cpu bit for bit (NaN, signed zeros, infinities)', { skip }, async () => {
  const x = randomInput([4, 32, 32, 9], 3);
  x.values.set([NaN, -0, 0, Infinity, -Infinity, -1e-30, 1e-30], 100);
  const before = nativeRunCount();
  const [cpu] = await runOn('cpu', [x], (v) => tf.relu(v));
  const [wasm] = await runOn('wasm', [x], (v) => tf.relu(v));
  assert.ok(nativeRunCount() > before, 'ran natively');
  for (let i = 0; i < cpu!.length; i++) assert.ok(Object.is(wasm![i], cpu![i]), `element ${i}: ${wasm![i]} vs ${cpu![i]}`);
});
