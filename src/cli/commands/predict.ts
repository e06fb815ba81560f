import type { Command } from 'commander';
import * as tf from '@tensorflow/tfjs-core';
import { PrivmedError } from '../../common/errors.js';
import { TransformedDataset, type Dataset } from '../../data/dataset.js';
import { openClassFolders } from '../../data/image-folders.js';
import { readImage } from '../../data/images/read-image.js';
import { fileOptionsFromSpec, preprocessedDataset, preprocessImage } from '../../data/preprocess/build.js';
import { normaliseTransform } from '../../data/preprocess/normalize.js';
import { parsePreprocessingSpec, type PreprocessingSpec } from '../../data/preprocess/spec.js';
import { datasetFolder, openMedMnist } from '../../data/resolve.js';
import { initBackend, type BackendName } from '../../engine/backend.js';
import { classificationMetrics } from '../../metrics/classification.js';
import { loadModel, type ModelMetadata } from '../../models/io.js';
import type * as tfl from '@tensorflow/tfjs-layers';
import { classProbabilities, predict } from '../../training/evaluate.js';
import { formatMetrics, printJson } from '../output.js';
import { predictSegmentationFiles } from '../../site/segment-folder.js';
import { inspectFile } from '../../data/inspect/inspect-file.js';
import { checkInput, type IntendedUse } from '../../training/intended-use.js';
import { withFeatures } from '../../training/ood-score.js';

/** The preprocessing stored with the model, or the one implied by older metadata. */
export function inferencePreprocessing(meta: ModelMetadata, dir: string): PreprocessingSpec {
  if (meta.preprocessing) return parsePreprocessingSpec(meta.preprocessing, `${dir}/privmed.json preprocessing`);
  const [height, width, channels] = meta.spec.inputShape;
  if (channels !== 1 && channels !== 3) throw new PrivmedError(`${dir}: models with ${channels} input channels are not supported by predict`);
  return { version: 1, input: { height, width, channels }, normalize: meta.normalisation };
}

/**
 * The data a model is scored on, preprocessed as it was trained: a folder of
 * class folders (DIR/<class>/, or DIR/<split>/<class>/; kather2016 by name),
 * read with the model's stored preprocessing (size, stain), or a MedMNIST split.
 */
export async function evaluationData(data: string, split: string, dir: string, meta: ModelMetadata): Promise<Dataset> {
  const folder = datasetFolder(data);
  const spec = inferencePreprocessing(meta, dir);
  if (folder) return preprocessedDataset(await openClassFolders(folder, split, fileOptionsFromSpec(spec), meta.classes), spec, { train: false, seed: 0 });
  const ds = (await openMedMnist(data)).splits[split as 'train' | 'val' | 'test'];
  const [h, w, c] = meta.spec.inputShape;
  if (ds.info.height !== h || ds.info.width !== w || ds.info.channels !== c) {
    throw new PrivmedError(`${data}: images are ${ds.info.height}x${ds.info.width}x${ds.info.channels}, the model expects ${h}x${w}x${c}`);
  }
  return new TransformedDataset(ds, normaliseTransform(meta.normalisation), 0);
}

/** Per-class recall, one line. */
export function formatRecall(recall: readonly number[], classes: readonly string[]): string {
  return `recall per class: ${recall.map((r, k) => `${classes[k]} ${Number.isNaN(r) ? '-' : r.toFixed(3)}`).join(', ')}`;
}

function argmax(probs: ArrayLike<number>, from: number, k: number): number {
  let best = 0;
  for (let c = 1; c < k; c++) if (probs[from + c]! > probs[from + best]!) best = c;
  return best;
}

/** Every file of a labelled folder: its prediction, then accuracy and the confusion matrix. */
async function predictFolder(model: tfl.LayersModel, meta: ModelMetadata, opts: { model: string; data: string; split: string; json: boolean }): Promise<void> {
  const ds = await evaluationData(opts.data, opts.split, opts.model, meta);
  const p = await predict(model, ds, 128, meta.tta);
  const k = meta.classes.length;
  for (let n = 0; n < p.labels.length; n++) {
    const file = ds.describe?.(p.indices[n]!) ?? `item ${p.indices[n]}`;
    const best = argmax(p.probs, n * k, k);
    const probability = p.probs[n * k + best]!;
    if (opts.json) printJson({ file, class: meta.classes[best], probability, label: meta.classes[p.labels[n]!] });
    else console.log(`${file}\t${meta.classes[best]}\t${probability.toFixed(4)}\t(true: ${meta.classes[p.labels[n]!]})`);
  }
  const m = classificationMetrics(p.labels, p.probs, k);
  if (opts.json) printJson({ data: opts.data, split: opts.split, ...m });
  else console.log(`${formatMetrics(m, meta.classes, opts.split)}\n${formatRecall(m.recall, meta.classes)}`);
}

export function registerPredictCommand(program: Command): void {
  program
    .command('predict')
    .description('class and probability for each image file (PNG, JPEG, TIFF, DICOM, NIfTI slice), or for a folder of class folders with accuracy and confusion matrix')
    .requiredOption('--model <dir>', 'model folder (as written by privmed train)')
    .argument('[files...]', 'image files')
    .option('--data <folder>', 'a labelled folder instead of files: FOLDER/<class>/ or FOLDER/<split>/<class>/ (kather2016 by name)')
    .option('--split <split>', 'with --data: which split folder, if FOLDER has them', 'test')
    .option('--backend <name>', 'wasm, cpu or tensorflow', 'wasm')
    .option('--strict', "stop at the first unreadable file, or the first input outside the model's intended use", false)
    .option('--json', 'one JSON object per file (with --data, then one with accuracy and the confusion matrix)', false)
    .option('--out <dir>', 'segmentation models: where the masks go (NIfTI for NIfTI input, with its affine; PNG for PNG)', 'masks')
    .action(async (files: string[], opts: { model: string; data?: string; split: string; backend: BackendName; strict: boolean; json: boolean; out: string }) => {
      if (opts.data && files.length) throw new PrivmedError('give image files or --data FOLDER, not both');
      if (!opts.data && !files.length) throw new PrivmedError('nothing to predict: give image files or --data FOLDER');
      if (opts.data && !datasetFolder(opts.data)) throw new PrivmedError(`--data: ${opts.data} is not a folder`, { hint: 'expected FOLDER/<class>/<image files> or FOLDER/<split>/<class>/' });
      const line = await initBackend(opts.backend);
      if (!opts.json) process.stderr.write(line + '\n');
      const { model, meta } = await loadModel(opts.model);
      if (meta.segmentation) {
        const written = await predictSegmentationFiles({ model, meta }, opts.model, opts.data ? [opts.data] : files, opts.out);
        for (const file of written) opts.json ? printJson({ mask: file }) : console.log(file);
        return;
      }
      if (opts.data) {
        await predictFolder(model, meta, { model: opts.model, data: opts.data, split: opts.split, json: opts.json });
        model.dispose();
        return;
      }
      const spec = inferencePreprocessing(meta, opts.model);
      const [h, w, c] = meta.spec.inputShape;
      const readOpts = fileOptionsFromSpec(spec);
      // Models saved with an intended use (privmed train) flag inputs outside it: modality, body part, 2-D, statistics, OOD score.
      const use = (meta as { intendedUse?: IntendedUse }).intendedUse;
      const featured = use ? withFeatures(model) : null;
      let failed = 0;
      for (const file of files) {
        let x: Float32Array;
        try {
          x = preprocessImage(await readImage(file, readOpts), spec);
        } catch (err) {
          if (opts.strict || !(err instanceof PrivmedError)) throw err;
          failed++;
          if (opts.json) printJson({ file, error: err.message });
          else process.stderr.write(`privmed: skipped ${err.message}\n`);
          continue;
        }
        const got: { features?: Float32Array } = {};
        const probs = tf.tidy(() => {
          const input = tf.tensor4d(x, [1, h, w, c]);
          if (!featured) return classProbabilities(model, input, meta.tta).dataSync();
          const [f, logits] = featured.apply(input, { training: false }) as tf.Tensor[];
          got.features = f!.dataSync() as Float32Array;
          return (meta.tta ? classProbabilities(model, input, meta.tta) : tf.softmax(logits as tf.Tensor2D)).dataSync();
        });
        const outside = use && got.features ? checkInput(use, await inspectFile(file), x, got.features) : [];
        if (outside.length) {
          const why = `${file} is outside the model's intended use: ${outside.join('; ')}`;
          if (opts.strict) throw new PrivmedError(why, { hint: 'without --strict, privmed predict warns and predicts anyway' });
          if (!opts.json) process.stderr.write(`privmed: warning: ${why}\n`);
        }
        const best = argmax(probs, 0, probs.length);
        const probabilities = Object.fromEntries(meta.classes.map((name, k) => [name, Number(probs[k]!.toFixed(6))]));
        if (opts.json) printJson({ file, class: meta.classes[best], probability: probs[best], probabilities, ...(outside.length ? { outsideIntendedUse: outside } : {}) });
        else console.log(`${file}\t${meta.classes[best]}\t${probs[best]!.toFixed(4)}`);
      }
      model.dispose();
      if (failed) process.exitCode = 1;
    });
}
