/** The images an attack command works on: a MedMNIST split (name or .npz), or one DICOM file as a one-image pool. */
import { extname } from 'node:path';
import { ArrayDataset, type Dataset } from '../data/dataset.js';
import { readImage } from '../data/images/read-image.js';
import { openMedMnist } from '../data/resolve.js';
import { PrivmedError } from '../common/errors.js';

export interface AttackPool {
  train: Dataset;
  test: Dataset | null;
  name: string;
}

export async function loadAttackPool(data: string, root?: string): Promise<AttackPool> {
  if (extname(data).toLowerCase() === '.dcm') {
    const img = await readImage(data);
    if (img.channels !== 1) throw new PrivmedError(`${data}: the inversion pool takes a greyscale DICOM image, this one has ${img.channels} channels`);
    const px = img.rows * img.cols;
    const image = Float32Array.from(img.data.subarray(0, px), (v) => Math.min(1, Math.max(0, v)));
    // One image, one (arbitrary) label of two classes: the model is a classifier.
    return { train: new ArrayDataset({ height: img.rows, width: img.cols, channels: 1, classes: ['a', 'b'] }, image, Int32Array.of(0), data), test: null, name: data };
  }
  const m = await openMedMnist(data, root);
  return { train: m.splits.train, test: m.splits.test, name: m.name };
}
