/**
 * Models on disk: the standard tfjs layers format (model.json + weights.bin),
 * so any tfjs tool can load them, plus privmed.json with what privmed needs to
 * use the model correctly (classes, input size, preprocessing, config).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { FileFormatError, PrivmedError } from '../common/errors.js';
import { recoverDir, replaceDirAtomic } from '../common/atomic.js';
import { PRIVMED_VERSION } from '../version.js';
import type { ModelSpec } from './spec.js';
import './group-norm.js'; // registers the custom layer for deserialisation

export interface Normalisation {
  mean: number[];
  std: number[];
}

export interface SegmentationMeta {
  axis: 0 | 1 | 2;
  patch: [number, number];
  context: number;
  /** PNG masks: values above this are class 1. */
  binaryThreshold?: number;
  loss: 'dice' | 'ce' | 'dice+ce';
}

export interface ModelMetadata {
  privmedVersion: string;
  spec: ModelSpec;
  classes: string[];
  normalisation: Normalisation;
  /** Extra preprocessing applied before the model (resize etc.), JSON as stored by the data module. */
  preprocessing?: unknown;
  /** The training configuration that produced the model. */
  config?: unknown;
  /** Segmentation models: how the slices were cut, so that evaluate and predict cut them the same way. */
  segmentation?: SegmentationMeta;
  /** Metrics at save time (e.g. best validation MCC). */
  metrics?: Record<string, number>;
  /** Test-time augmentation that predict and evaluate apply ('dihedral': the 8 flips and quarter turns). */
  tta?: 'dihedral';
}

/** The files of a saved model, in memory: model.json, weights.bin, privmed.json. */
export async function modelFiles(model: tfl.LayersModel, meta: Omit<ModelMetadata, 'privmedVersion'>): Promise<Record<string, string | Uint8Array>> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!artifacts?.weightData || !artifacts.weightSpecs) throw new PrivmedError('tfjs produced no weights to save');
  const modelJson = {
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tfl.version_layers}`,
    convertedBy: `privmed ${PRIVMED_VERSION}`,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
  };
  const metadata: ModelMetadata = { privmedVersion: PRIVMED_VERSION, ...meta };
  return {
    'model.json': JSON.stringify(modelJson),
    'weights.bin': new Uint8Array(tf.io.concatenateArrayBuffers(artifacts.weightData as ArrayBuffer | ArrayBuffer[])),
    'privmed.json': JSON.stringify(metadata, null, 2),
  };
}

/** Writes files into `dir`, replacing it atomically (a crash leaves the old or the new folder). */
export function writeFolderAtomic(dir: string, files: Record<string, string | Uint8Array>): void {
  replaceDirAtomic(dir, (tmp) => {
    for (const [name, data] of Object.entries(files)) writeFileSync(join(tmp, name), data);
  });
}

export async function saveModel(dir: string, model: tfl.LayersModel, meta: Omit<ModelMetadata, 'privmedVersion'>): Promise<void> {
  writeFolderAtomic(dir, await modelFiles(model, meta));
}

export interface LoadedModel {
  model: tfl.LayersModel;
  meta: ModelMetadata;
}

export async function loadModel(dir: string): Promise<LoadedModel> {
  recoverDir(dir);
  const read = (name: string): Buffer => {
    const p = join(dir, name);
    if (!existsSync(p)) throw new FileFormatError(dir, `not a privmed model folder: ${name} is missing`);
    return readFileSync(p);
  };
  const parse = (name: string): Record<string, unknown> => {
    try {
      return JSON.parse(read(name).toString('utf8')) as Record<string, unknown>;
    } catch (err) {
      if (err instanceof PrivmedError) throw err;
      throw new FileFormatError(join(dir, name), `invalid JSON (${(err as Error).message})`);
    }
  };
  const modelJson = parse('model.json');
  const manifest = modelJson.weightsManifest as { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] | undefined;
  if (!manifest?.length) throw new FileFormatError(join(dir, 'model.json'), 'no weightsManifest');
  const weightSpecs = manifest.flatMap((g) => g.weights);
  const buffers = manifest.flatMap((g) => g.paths.map((p) => read(p)));
  const weightData = tf.io.concatenateArrayBuffers(buffers.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer));
  const expected = weightSpecs.reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1) * 4, 0);
  if (weightData.byteLength !== expected) {
    throw new FileFormatError(dir, `weights hold ${weightData.byteLength} bytes, the manifest needs ${expected} (truncated?)`);
  }
  const model = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: modelJson.modelTopology as object, weightSpecs, weightData }));
  const meta = existsSync(join(dir, 'privmed.json')) ? (parse('privmed.json') as unknown as ModelMetadata) : inferMetadata(model);
  if (meta.tta !== undefined && meta.tta !== 'dihedral') throw new PrivmedError(`${join(dir, 'privmed.json')}: tta must be 'dihedral' or absent, got ${JSON.stringify(meta.tta)}`);
  return { model, meta };
}

/** A plain tfjs model dir without privmed.json: assume [0,1] inputs and numbered classes. */
function inferMetadata(model: tfl.LayersModel): ModelMetadata {
  const [, h, w, c] = model.inputs[0]!.shape as number[];
  const out = model.outputs[0]!.shape as number[];
  const numClasses = out[out.length - 1]!;
  return {
    privmedVersion: 'unknown',
    spec: { arch: 'small-cnn', inputShape: [h!, w!, c!], numClasses, norm: 'none' },
    classes: Array.from({ length: numClasses }, (_, i) => String(i)),
    normalisation: { mean: [0], std: [1] },
  };
}
