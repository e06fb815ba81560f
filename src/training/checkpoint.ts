/**
 * Training checkpoints: the model (tfjs format), the optimizer's state and the
 * loop's own state, written together as one atomically replaced folder at the
 * end of each epoch. A run killed mid-epoch resumes from the last finished
 * epoch and can never find a half-written checkpoint.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { FileFormatError } from '../common/errors.js';
import { recoverDir } from '../common/atomic.js';
import { loadModel, modelFiles, writeFolderAtomic, type ModelMetadata } from '../models/io.js';

export interface LoopState {
  /** Epochs fully completed. */
  epoch: number;
  step: number;
  bestMetric: number | null;
  bestEpoch: number | null;
  epochsWithoutImprovement: number;
  history: Record<string, number>[];
}

interface TensorEntry {
  name: string;
  shape: number[];
  offset: number;
}

export async function saveCheckpoint(
  dir: string,
  model: tfl.LayersModel,
  meta: Omit<ModelMetadata, 'privmedVersion'>,
  optimizer: tf.Optimizer,
  state: LoopState,
): Promise<void> {
  const files = await modelFiles(model, meta);
  const named = await optimizer.getWeights();
  const entries: TensorEntry[] = [];
  const chunks: Float32Array[] = [];
  let offset = 0;
  for (const { name, tensor } of named) {
    const data = (await tensor.data()) as Float32Array;
    entries.push({ name, shape: tensor.shape, offset });
    chunks.push(data);
    offset += data.length;
  }
  const blob = new Float32Array(offset);
  let p = 0;
  for (const c of chunks) blob.set(c, p), (p += c.length);
  files['optimizer.json'] = JSON.stringify(entries);
  files['optimizer.bin'] = new Uint8Array(blob.buffer);
  files['state.json'] = JSON.stringify(state, null, 1);
  writeFolderAtomic(dir, files);
}

export function hasCheckpoint(dir: string): boolean {
  recoverDir(dir);
  return existsSync(join(dir, 'state.json'));
}

export async function loadCheckpoint(dir: string, optimizer: tf.Optimizer): Promise<{ model: tfl.LayersModel; state: LoopState }> {
  const { model } = await loadModel(dir);
  const entries = JSON.parse(readFileSync(join(dir, 'optimizer.json'), 'utf8')) as TensorEntry[];
  const raw = readFileSync(join(dir, 'optimizer.bin'));
  const blob = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const named = entries.map((e) => {
    const size = e.shape.reduce((a, b) => a * b, 1);
    if (e.offset + size > blob.length) throw new FileFormatError(join(dir, 'optimizer.bin'), 'truncated optimizer state');
    return { name: e.name, tensor: tf.tensor(blob.subarray(e.offset, e.offset + size), e.shape) };
  });
  if (named.length) await optimizer.setWeights(named);
  const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as LoopState;
  return { model, state };
}
