/**
 * From a privmed tfjs model to an SMPC plan: the model owner's step before a
 * session. BatchNorm is folded into the convolution before it; a ReLU right
 * before a max pool is moved after it (max and relu commute, and the pool has
 * fewer outputs); global average pooling becomes a sum whose 1/positions goes
 * into the next dense layer's weights. Scales: activations carry 12
 * fractional bits, weights 12 (more after a sum pool), so a linear layer's
 * output carries 24 and the next ReLU gate shifts it back.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { PrivmedError } from '../common/errors.js';
import { convGeometry, FRACTION_BITS, type ConvGeometry, type OpWeights, type Plan, type PlanOp } from '../smpc/index.js';
import { encodeFixed } from '../smpc/index.js';

interface LayerConfig {
  name: string;
  className: string;
  config: Record<string, unknown>;
  inboundNodes: [string, number, number, unknown][][];
}

interface FloatConv {
  op: number;
  w: Float64Array;
  bias: Float64Array;
  weightBits: number;
}

/** A tensor as the compiler tracks it: its plan name, shape, scale, and a relu not yet emitted. */
interface Value {
  name: string;
  shape: number[];
  scale: number;
  pendingRelu?: boolean;
}

export interface Compiled {
  plan: Plan;
  weights: Map<number, OpWeights>;
}

export interface CompileOptions {
  /** |input| bound the data owner must respect (after normalisation). */
  inputLimit: number;
  /** Comparison window for every gate (|z| < 2^(window-1)); calibrate() narrows it per op. */
  window?: number;
  revealLogits?: boolean;
}

export const DEFAULT_WINDOW = 40;

/**
 * Low bits a max pool's comparisons may ignore (gate.ts): only before a ReLU
 * that truncates them anyway. Each tournament level may then pick a value
 * up to 2^drop below the true maximum; all levels together stay under half a
 * unit of the truncated output, so the pooled ReLU is within one unit.
 */
function poolDrop(x: Value, pool: number): number {
  const truncated = x.pendingRelu ? x.scale - FRACTION_BITS : 0;
  const levels = Math.ceil(Math.log2(pool * pool));
  return Math.max(0, truncated - 1 - Math.ceil(Math.log2(levels)));
}

const arr2 = (v: unknown): [number, number] => (Array.isArray(v) ? [Number(v[0]), Number(v[1] ?? v[0])] : [Number(v), Number(v)]);

export function compileModel(model: tfl.LayersModel, options: CompileOptions): Compiled {
  const window = options.window ?? DEFAULT_WINDOW;
  const config = model.getConfig() as unknown as { layers?: LayerConfig[] };
  if (!Array.isArray(config.layers)) throw new PrivmedError('smpc: only functional tfjs models (tfl.model) can be compiled');
  const consumers = new Map<string, number>();
  for (const l of config.layers) for (const node of l.inboundNodes) for (const ref of node) consumers.set(ref[0], (consumers.get(ref[0]) ?? 0) + 1);
  const ops: PlanOp[] = [];
  const tensors: Plan['tensors'] = {};
  const floats: FloatConv[] = [];
  const values = new Map<string, Value>();
  let producerOf = new Map<string, FloatConv>();
  let sumPoolDivisor = 1;
  let inputName = '';
  let inputShape: [number, number, number] = [0, 0, 0];
  const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);
  const define = (name: string, shape: number[], scale: number): Value => {
    tensors[name] = { size: size(shape), scale };
    return { name, shape, scale };
  };
  /** Emits a pending relu: the gate shifts the value back to 12 fractional bits. */
  const relus = new Map<string, Value>();
  const materialise = (v: Value): Value => {
    if (!v.pendingRelu) return v;
    const done = relus.get(v.name);
    if (done) return done;
    const out = define(`${v.name}:relu`, v.shape, FRACTION_BITS);
    ops.push({ kind: 'relu', input: v.name, output: out.name, window, shift: v.scale - FRACTION_BITS });
    relus.set(v.name, out);
    return out;
  };
  const emitConv = (name: string, x: Value, g: ConvGeometry, w: Float64Array, bias: Float64Array, weightBits: number, relu: boolean): Value => {
    const out = define(name, [g.outH, g.outW, g.outC], x.scale + weightBits);
    ops.push({ kind: 'conv', input: x.name, output: name, geometry: g });
    const f: FloatConv = { op: ops.length - 1, w, bias, weightBits };
    floats.push(f);
    producerOf.set(name, f);
    return relu ? { ...out, pendingRelu: true } : out;
  };
  for (const layer of config.layers) {
    const cls = layer.className;
    const where = `smpc: layer '${layer.name}' (${cls})`;
    const inputs = (layer.inboundNodes[0] ?? []).map((ref) => {
      const v = values.get(ref[0]);
      if (!v) throw new PrivmedError(`${where}: its input '${ref[0]}' is not supported`);
      return v;
    });
    const c = layer.config;
    const weights = (): Float64Array[] => model.getLayer(layer.name).getWeights().map((t) => Float64Array.from(t.dataSync()));
    const activation = (c.activation as string | undefined) ?? 'linear';
    if (activation !== 'linear' && activation !== 'relu') throw new PrivmedError(`${where}: activation '${activation}' is not supported (linear or relu)`);
    if (cls === 'InputLayer') {
      const shape = (c.batchInputShape as number[]).slice(1);
      if (shape.length !== 3) throw new PrivmedError(`${where}: expected an image input [H, W, C], got [${shape.join(', ')}]`);
      inputName = layer.name;
      inputShape = shape as [number, number, number];
      values.set(layer.name, define(layer.name, shape, FRACTION_BITS));
    } else if (cls === 'Conv2D') {
      const x = materialise(inputs[0]!);
      if (arr2(c.dilationRate ?? 1).some((d) => d !== 1)) throw new PrivmedError(`${where}: dilated convolutions are not supported`);
      const [sy, sx] = arr2(c.strides);
      if (sy !== sx) throw new PrivmedError(`${where}: unequal strides are not supported`);
      const g = convGeometry(x.shape as [number, number, number], Number(c.filters), arr2(c.kernelSize), sy, c.padding as 'same' | 'valid');
      const [w, b] = weights();
      values.set(layer.name, emitConv(layer.name, x, g, w!, b ?? new Float64Array(g.outC), FRACTION_BITS, activation === 'relu'));
    } else if (cls === 'Dense') {
      const x = materialise(inputs[0]!);
      const n = size(x.shape);
      const units = Number(c.units);
      const g = convGeometry([1, 1, n], units, [1, 1], 1, 'valid');
      const [w, b] = weights();
      // A preceding sum pool's 1/positions goes into these weights, with as many more fractional bits.
      const extra = Math.ceil(Math.log2(sumPoolDivisor));
      if (sumPoolDivisor !== 1) for (let i = 0; i < w!.length; i++) w![i] = w![i]! / sumPoolDivisor;
      sumPoolDivisor = 1;
      values.set(layer.name, emitConv(layer.name, x, g, w!, b ?? new Float64Array(units), FRACTION_BITS + extra, activation === 'relu'));
    } else if (cls === 'BatchNormalization') {
      const x = inputs[0]!;
      const conv = producerOf.get(x.name);
      if (!conv || consumers.get(x.name) !== 1 || x.pendingRelu) throw new PrivmedError(`${where}: only a BatchNorm right after a convolution can be folded`);
      foldBatchNorm(conv, weights(), c, where);
      values.set(layer.name, x);
    } else if (cls === 'ReLU' || (cls === 'Activation' && activation === 'relu')) {
      if (cls === 'ReLU' && (c.maxValue != null || Number(c.negativeSlope ?? 0) !== 0 || Number(c.threshold ?? 0) !== 0)) throw new PrivmedError(`${where}: only a plain ReLU is supported`);
      values.set(layer.name, { ...inputs[0]!, pendingRelu: true });
    } else if (cls === 'MaxPooling2D') {
      const x = inputs[0]!;
      const [p, p2] = arr2(c.poolSize);
      const [s] = arr2(c.strides ?? c.poolSize);
      if (p !== p2) throw new PrivmedError(`${where}: only square pools are supported`);
      const g = convGeometry(x.shape as [number, number, number], x.shape[2]!, [p, p], s, c.padding as 'same' | 'valid');
      const out = define(layer.name, [g.outH, g.outW, g.outC], x.scale);
      ops.push({ kind: 'maxpool', input: x.name, output: layer.name, shape: x.shape as [number, number, number], pool: p, stride: s, padding: c.padding as 'same' | 'valid', window, drop: poolDrop(x, p) });
      // max(relu(a), relu(b)) = relu(max(a, b)): the relu moves after the pool.
      values.set(layer.name, { ...out, pendingRelu: x.pendingRelu });
    } else if (cls === 'Flatten') {
      const x = materialise(inputs[0]!);
      values.set(layer.name, { ...x, shape: [1, 1, size(x.shape)] });
    } else if (cls === 'GlobalAveragePooling2D') {
      const x = materialise(inputs[0]!);
      const positions = x.shape[0]! * x.shape[1]!;
      const out = define(layer.name, [1, 1, x.shape[2]!], x.scale);
      ops.push({ kind: 'sumpool', input: x.name, output: layer.name, positions, channels: x.shape[2]! });
      sumPoolDivisor = positions;
      values.set(layer.name, out);
    } else if (cls === 'Add') {
      if (inputs.length !== 2) throw new PrivmedError(`${where}: only two-input adds are supported`);
      const [a, b] = inputs.map(materialise) as [Value, Value];
      const scale = Math.max(a.scale, b.scale);
      const out = define(layer.name, a.shape, scale);
      ops.push({ kind: 'add', inputs: [a.name, b.name], output: layer.name, lift: [scale - a.scale, scale - b.scale] });
      values.set(layer.name, out);
    } else {
      throw new PrivmedError(`${where} is not supported by secure inference`, {
        hint: cls === 'GroupNormalization' ? 'GroupNorm depends on each image; train with norm: batch or none for encrypted inference' : undefined,
      });
    }
  }
  producerOf = new Map();
  const outName = (model.outputLayers[0] as unknown as { name: string }).name;
  const last = values.get(outName);
  if (!last) throw new PrivmedError('smpc: the model output was not reached');
  const logits = materialise(last);
  const classes = size(logits.shape);
  const weightsOut = new Map<number, OpWeights>();
  for (const f of floats) {
    const op = ops[f.op] as Extract<PlanOp, { kind: 'conv' }>;
    const outScale = tensors[op.output]!.scale;
    weightsOut.set(f.op, { w: encodeFixed(f.w, f.weightBits, Infinity, `weight of ${op.output}`), bias: encodeFixed(f.bias, outScale, Infinity, `bias of ${op.output}`) });
  }
  const plan: Plan = {
    version: 1,
    input: { name: inputName, shape: inputShape, fractionBits: FRACTION_BITS, limit: options.inputLimit },
    ops,
    tensors,
    logits: logits.name,
    classes,
    argmaxWindow: window,
    revealLogits: options.revealLogits ?? false,
  };
  return { plan, weights: weightsOut };
}

/** gamma (conv(x) + b - mean) / sqrt(var + eps) + beta, folded per output channel. */
function foldBatchNorm(conv: FloatConv, bn: Float64Array[], c: Record<string, unknown>, where: string): void {
  const eps = Number(c.epsilon ?? 1e-3);
  let k = 0;
  const gamma = c.scale === false ? undefined : bn[k++];
  const beta = c.center === false ? undefined : bn[k++];
  const mean = bn[k++];
  const variance = bn[k++];
  if (!mean || !variance) throw new PrivmedError(`${where}: missing moving statistics`);
  const channels = mean.length;
  if (conv.bias.length !== channels) throw new PrivmedError(`${where}: ${channels} channels after a convolution with ${conv.bias.length}`);
  for (let ch = 0; ch < channels; ch++) {
    const factor = (gamma ? gamma[ch]! : 1) / Math.sqrt(variance[ch]! + eps);
    for (let i = ch; i < conv.w.length; i += channels) conv.w[i] = conv.w[i]! * factor;
    conv.bias[ch] = (conv.bias[ch]! - mean[ch]!) * factor + (beta ? beta[ch]! : 0);
  }
}
