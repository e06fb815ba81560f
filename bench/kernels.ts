/**
 * Times each privmed wasm kernel against the best alternative available in
 * the same process: the built-in wasm kernel where one exists, otherwise the
 * other formulation on wasm, or the cpu backend (on a shape it can finish).
 * Each number is a median after warm-up runs; `baseline` is the alternative.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/engine/backend.js';
import { forceFilterGradMethod } from '../src/engine/kernels/conv2d-backprop-filter.js';
import { builtinKernel } from '../src/engine/kernels/builtin-kernels.js';

export interface KernelBenchResult {
  metric: string;
  value: number;
  unit: string;
  baseline?: number;
}

type Report = (r: KernelBenchResult) => void;
type Shape4 = [number, number, number, number];

/** Median wall time of `f` in ms; wasm kernels run synchronously, so no read-back is needed. */
function medianMs(f: () => tf.Tensor, runs: number, warmups: number): number {
  for (let i = 0; i < warmups; i++) f().dispose();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const out = f();
    if (tf.getBackend() !== 'wasm') out.dataSync(); // other backends may compute lazily
    times.push(performance.now() - start);
    out.dispose();
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** Runs the replaced built-in wasm kernel (set up by the backend, still callable). */
function builtin(kernelName: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>): tf.Tensor {
  const info = builtinKernel(kernelName).kernelFunc({ inputs, backend: tf.backend(), attrs: attrs as never }) as tf.TensorInfo;
  return tf.engine().makeTensorFromTensorInfo(info);
}

interface ConvCase {
  label: string;
  x: number[];
  filter: number[];
  stride: number;
}

const CONVS: ConvCase[] = [
  { label: 'small-cnn conv2 32x32x32x32 3x3/1 ->64', x: [32, 32, 32, 32], filter: [3, 3, 32, 64], stride: 1 },
  { label: 'resnet18 stem 8x224x224x1 7x7/2 ->64', x: [8, 224, 224, 1], filter: [7, 7, 1, 64], stride: 2 },
  { label: 'resnet18 layer2 8x56x56x64 3x3/2 ->128', x: [8, 56, 56, 64], filter: [3, 3, 64, 128], stride: 2 },
  { label: 'resnet18 shortcut 8x56x56x64 1x1/2 ->128', x: [8, 56, 56, 64], filter: [1, 1, 64, 128], stride: 2 },
  { label: 'resnet18 layer4 8x7x7x512 3x3/1 ->512', x: [8, 7, 7, 512], filter: [3, 3, 512, 512], stride: 1 },
];

export async function benchKernels(report: Report): Promise<void> {
  await initBackend('wasm');
  for (const c of CONVS) {
    const x = tf.randomNormal<tf.Rank.R4>(c.x as Shape4);
    const w = tf.randomNormal<tf.Rank.R4>(c.filter as Shape4);
    const dy = tf.tidy(() => tf.randomNormal(tf.conv2d(x, w, c.stride, 'same').shape));
    const filterAttrs = { strides: c.stride, pad: 'same', dataFormat: 'NHWC', filterShape: c.filter };
    const inputAttrs = { strides: c.stride, pad: 'same', dataFormat: 'NHWC', inputShape: c.x };

    const forward = medianMs(() => tf.conv2d(x, w, c.stride, 'same'), 5, 2);
    report({ metric: `wasm Conv2D (forward, reference) ${c.label}`, value: forward, unit: 'ms' });

    const filterGrad = () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, filterAttrs as never) as tf.Tensor;
    const tapGemm = medianMs(filterGrad, 5, 2);
    forceFilterGradMethod('dilated-conv');
    const dilated = medianMs(filterGrad, 5, 1);
    forceFilterGradMethod('tap-gemm');
    report({ metric: `Conv2DBackpropFilter ${c.label} (baseline: dilated-conv formulation)`, value: tapGemm, unit: 'ms', baseline: dilated });

    const inputGrad = medianMs(() => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, inputAttrs as never) as tf.Tensor, 5, 2);
    const inputGradBuiltin = medianMs(() => builtin('Conv2DBackpropInput', { dy, filter: w }, inputAttrs), 1, 0);
    report({ metric: `Conv2DBackpropInput ${c.label} (baseline: built-in wasm)`, value: inputGrad, unit: 'ms', baseline: inputGradBuiltin });
    tf.dispose([x, w, dy]);
  }

  // The cpu backend is the only other implementation of the filter gradient: compare on a shape it finishes.
  {
    const shape = { x: [8, 16, 16, 16], filter: [3, 3, 16, 32] };
    const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: shape.filter };
    const values = { x: tf.randomNormal(shape.x).dataSync(), dy: tf.randomNormal([8, 16, 16, 32]).dataSync() };
    const timeOn = async (backend: 'wasm' | 'cpu') => {
      await initBackend(backend);
      const x = tf.tensor(values.x, shape.x);
      const dy = tf.tensor(values.dy, [8, 16, 16, 32]);
      const ms = medianMs(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs as never) as tf.Tensor, 3, 1);
      tf.dispose([x, dy]);
      return ms;
    };
    const cpu = await timeOn('cpu');
    const wasm = await timeOn('wasm');
    report({ metric: 'Conv2DBackpropFilter 8x16x16x16 3x3/1 ->32 (baseline: cpu backend)', value: wasm, unit: 'ms', baseline: cpu });
  }

  for (const [label, aShape, bShape, tA, tB] of [
    ['dense weight grad x^T dy 32x4096 . 32x64', [32, 4096], [32, 64], true, false],
    ['dense input grad dy W^T 32x64 . 4096x64', [32, 64], [4096, 64], false, true],
  ] as [string, number[], number[], boolean, boolean][]) {
    const a = tf.randomNormal(aShape);
    const b = tf.randomNormal(bShape);
    const ours = medianMs(() => tf.matMul(a, b, tA, tB), 7, 2);
    const theirs = medianMs(() => builtin('BatchMatMul', { a, b }, { transposeA: tA, transposeB: tB }), 5, 1);
    report({ metric: `BatchMatMul ${label} (baseline: built-in wasm)`, value: ours, unit: 'ms', baseline: theirs });
    tf.dispose([a, b]);
  }

  for (const [label, shape, size, stride, pad] of [
    ['small-cnn pool1 32x64x64x32 2x2/2', [32, 64, 64, 32], 2, 2, 'valid'],
    ['resnet18 stem pool 8x112x112x64 3x3/2 same', [8, 112, 112, 64], 3, 2, 'same'],
  ] as [string, number[], number, number, 'same' | 'valid'][]) {
    const x = tf.randomNormal<tf.Rank.R4>(shape as Shape4);
    const y = tf.maxPool(x, size, stride, pad);
    const dy = tf.randomNormal(y.shape);
    const attrs = { filterSize: size, strides: stride, pad };
    const ours = medianMs(() => tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: y }, attrs as never) as tf.Tensor, 5, 2);
    const theirs = medianMs(() => builtin('MaxPoolGrad', { dy, input: x, output: y }, attrs), 3, 1);
    report({ metric: `MaxPoolGrad ${label} (baseline: built-in wasm)`, value: ours, unit: 'ms', baseline: theirs });
    tf.dispose([x, y, dy]);
  }

  {
    // Batch-norm backward: per-channel sums over N, H, W, and tfjs-core's tile of 1/sqrt(var).
    const x = tf.randomNormal([8, 56, 56, 64]);
    const channel = tf.randomNormal([1, 1, 1, 64]);
    for (const kernel of ['Sum', 'Mean'] as const) {
      const attrs = { axis: [0, 1, 2], keepDims: false };
      const ours = medianMs(() => tf.engine().runKernel(kernel, { x }, attrs as never) as tf.Tensor, 7, 2);
      const theirs = medianMs(() => builtin(kernel, { x }, attrs), 5, 1);
      report({ metric: `${kernel} over N,H,W of 8x56x56x64 (baseline: built-in wasm)`, value: ours, unit: 'ms', baseline: theirs });
    }
    const reps = { reps: [8, 56, 56, 1] };
    const ours = medianMs(() => tf.engine().runKernel('Tile', { x: channel }, reps as never) as tf.Tensor, 7, 2);
    const theirs = medianMs(() => builtin('Tile', { x: channel }, reps), 5, 1);
    report({ metric: 'Tile 1x1x1x64 -> 8x56x56x64 (baseline: built-in wasm)', value: ours, unit: 'ms', baseline: theirs });
    tf.dispose([x, channel]);
  }
}
