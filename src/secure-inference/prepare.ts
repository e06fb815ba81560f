/**
 * The model owner's preparation: load a privmed model folder, compile it to a
 * plan, calibrate the comparison windows, and say what the data owner must
 * know to prepare its images (the stored preprocessing, the classes).
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { PrivmedError } from '../common/errors.js';
import { loadModel, type ModelMetadata } from '../models/io.js';
import { parsePreprocessingSpec, type PreprocessingSpec } from '../data/preprocess/spec.js';
import { calibrateWindows, encodeFixed, FRACTION_BITS, type OpWeights, type Plan } from '../smpc/index.js';
import { compileModel } from './compile.js';
import { useNativeRingKernel } from './ring-kernel.js';

export interface PreparedModel {
  plan: Plan;
  weights: Map<number, OpWeights>;
  classes: string[];
  preprocessing: PreprocessingSpec;
  /** Per gate: the largest |input| calibration saw (ring units, as decimal strings). */
  maxima: Record<string, string>;
}

export interface PrepareOptions {
  /** Normalised calibration images; random and constant images in the input range when absent. */
  calibration?: Float32Array[];
  /** Bits of headroom above the calibrated maxima (default 4: 16x). */
  headroom?: number;
  revealLogits?: boolean;
}

/** The preprocessing stored with the model (as predict applies it). */
export function modelPreprocessing(meta: ModelMetadata, dir: string): PreprocessingSpec {
  if (meta.preprocessing) return parsePreprocessingSpec(meta.preprocessing, `${dir}/privmed.json preprocessing`);
  const [height, width, channels] = meta.spec.inputShape;
  if (channels !== 1 && channels !== 3) throw new PrivmedError(`${dir}: models with ${channels} input channels are not supported`);
  return { version: 1, input: { height, width, channels }, normalize: meta.normalisation };
}

/** |x| bound of a normalised pixel: pixels lie in [0, 1] before normalisation. */
export function inputLimit(spec: PreprocessingSpec): number {
  const n = spec.normalize;
  if (!n) return 1.01;
  let m = 0;
  n.mean.forEach((mean, c) => {
    const s = n.std[c]!;
    m = Math.max(m, Math.abs(-mean / s), Math.abs((1 - mean) / s));
  });
  return m * 1.01 + 0.01;
}

function defaultCalibration(plan: Plan, spec: PreprocessingSpec): Float32Array[] {
  const size = plan.tensors[plan.input.name]!.size;
  const c = spec.input.channels;
  const norm = (p: number, ch: number): number => (spec.normalize ? (p - spec.normalize.mean[ch]!) / spec.normalize.std[ch]! : p);
  const images: Float32Array[] = [0, 1].map((p) => Float32Array.from({ length: size }, (_, i) => norm(p, i % c)));
  for (let k = 0; k < 6; k++) images.push(Float32Array.from({ length: size }, (_, i) => norm(Math.random(), i % c)));
  return images;
}

export function prepareCompiled(model: tfl.LayersModel, meta: ModelMetadata, dir: string, options: PrepareOptions = {}): PreparedModel {
  useNativeRingKernel(); // calibration runs the plan in the clear: 8 images of ring convolutions (minutes at 224 px on WebAssembly)
  const preprocessing = modelPreprocessing(meta, dir);
  const limit = inputLimit(preprocessing);
  const compiled = compileModel(model, { inputLimit: limit, revealLogits: options.revealLogits });
  const images = options.calibration ?? defaultCalibration(compiled.plan, preprocessing);
  const encoded = images.map((x) => encodeFixed(x, FRACTION_BITS, limit, 'calibration pixel'));
  const { plan, maxima } = calibrateWindows(compiled.plan, compiled.weights, encoded, options.headroom ?? 4);
  return { plan, weights: compiled.weights, classes: meta.classes, preprocessing, maxima };
}

export async function prepareModel(dir: string, options: PrepareOptions = {}): Promise<PreparedModel> {
  const { model, meta } = await loadModel(dir);
  try {
    return prepareCompiled(model, meta, dir, options);
  } finally {
    model.dispose();
  }
}
