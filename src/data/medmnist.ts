/** MedMNIST v2 .npz files (e.g. PneumoniaMNIST) as datasets scaled to [0, 1]. */
import { basename } from 'node:path';
import { FileFormatError } from '../common/errors.js';
import { ArrayDataset } from './dataset.js';
import { readNpz } from './npz.js';
import type { NpyArray } from './npy.js';

export type Split = 'train' | 'val' | 'test';

/** Class names of the MedMNIST sets privmed knows; others get '0', '1', ... */
const CLASS_NAMES: Record<string, string[]> = {
  pneumoniamnist: ['normal', 'pneumonia'],
  breastmnist: ['malignant', 'normal/benign'],
};

export interface MedMnist {
  name: string;
  splits: Record<Split, ArrayDataset>;
}

export async function loadMedMnist(file: string): Promise<MedMnist> {
  const arrays = await readNpz(file);
  const name = basename(file).replace(/(_\d+)?\.npz$/, '');
  const get = (key: string): NpyArray => {
    const a = arrays.get(key);
    if (!a) throw new FileFormatError(file, `missing array '${key}' (has: ${[...arrays.keys()].join(', ')}); is this a MedMNIST file?`);
    return a;
  };
  // A loop, not Math.max(...labels): spreading 165k labels (TissueMNIST) overflows the call stack.
  const maxLabel = (['train', 'val', 'test'] as const).reduce((m, s) => labelArray(get(`${s}_labels`), file).reduce((a, b) => (b > a ? b : a), m), -Infinity);
  const classes = CLASS_NAMES[name] ?? Array.from({ length: maxLabel + 1 }, (_, i) => String(i));
  const split = (s: Split): ArrayDataset => {
    const images = get(`${s}_images`);
    const labels = labelArray(get(`${s}_labels`), file);
    const [n, h, w, c = 1] = images.shape;
    if (images.shape.length < 3 || images.shape.length > 4 || n !== labels.length) {
      throw new FileFormatError(file, `${s}_images has shape (${images.shape.join(', ')}) but ${labels.length} labels`);
    }
    if (!(images.data instanceof Uint8Array)) throw new FileFormatError(file, `${s}_images must be uint8, got ${images.dtype}`);
    const scaled = new Float32Array(images.data.length);
    for (let i = 0; i < scaled.length; i++) scaled[i] = images.data[i]! / 255;
    for (const l of labels) if (l < 0 || l >= classes.length) throw new FileFormatError(file, `label ${l} out of range in ${s}_labels`);
    return new ArrayDataset({ height: h!, width: w!, channels: c, classes }, scaled, labels, `${name}/${s}`);
  };
  return { name, splits: { train: split('train'), val: split('val'), test: split('test') } };
}

function labelArray(a: NpyArray, file: string): Int32Array {
  if (a.shape.length === 2 && a.shape[1] !== 1) throw new FileFormatError(file, `multi-label arrays (shape ${a.shape.join('x')}) are not supported`);
  if (a.data instanceof BigInt64Array) return Int32Array.from(a.data, (v) => Number(v));
  return Int32Array.from(a.data as ArrayLike<number>);
}
