/** Building blocks shared by the architectures. */
import * as tfl from '@tensorflow/tfjs-layers';
import { BatchNormalization } from './batch-norm.js';
import { skipInputGradient } from './first-conv.js';
import { GroupNormalization, defaultGroups } from './group-norm.js';
import type { Norm } from './spec.js';

type SymbolicTensor = tfl.SymbolicTensor;

export function normLayer(norm: Norm, channels: number, name: string): ((x: SymbolicTensor) => SymbolicTensor) | null {
  if (norm === 'batch') return (x) => new BatchNormalization({ name, epsilon: 1e-5, momentum: 0.9 }).apply(x) as SymbolicTensor;
  if (norm === 'group') return (x) => new GroupNormalization({ groups: defaultGroups(channels), name }).apply(x) as SymbolicTensor;
  return null;
}

/** conv -> norm -> (relu). Bias only when there is no norm layer to absorb it. */
export function convBlock(
  x: SymbolicTensor,
  opts: { filters: number; kernel: number; stride: number; norm: Norm; name: string; relu?: boolean },
): SymbolicTensor {
  const conv = tfl.layers.conv2d({
    filters: opts.filters,
    kernelSize: opts.kernel,
    strides: opts.stride,
    padding: 'same',
    useBias: opts.norm === 'none',
    kernelInitializer: 'heNormal',
    name: `${opts.name}_conv`,
  });
  if (x.sourceLayer.getClassName() === 'InputLayer') skipInputGradient(conv);
  let y = conv.apply(x) as SymbolicTensor;
  const n = normLayer(opts.norm, opts.filters, `${opts.name}_norm`);
  if (n) y = n(y);
  if (opts.relu !== false) y = tfl.layers.reLU({ name: `${opts.name}_relu` }).apply(y) as SymbolicTensor;
  return y;
}
