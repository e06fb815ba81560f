import type { Command } from 'commander';
import * as tf from '@tensorflow/tfjs-core';
import { PrivmedError } from '../../common/errors.js';
import { readImage } from '../../data/images/read-image.js';
import { fileOptionsFromSpec, preprocessImage } from '../../data/preprocess/build.js';
import { parsePreprocessingSpec, type PreprocessingSpec } from '../../data/preprocess/spec.js';
import { initBackend, type BackendName } from '../../engine/backend.js';
import { loadModel, type ModelMetadata } from '../../models/io.js';
import { printJson } from '../output.js';

/** The preprocessing stored with the model, or the one implied by older metadata. */
export function inferencePreprocessing(meta: ModelMetadata, dir: string): PreprocessingSpec {
  if (meta.preprocessing) return parsePreprocessingSpec(meta.preprocessing, `${dir}/privmed.json preprocessing`);
  const [height, width, channels] = meta.spec.inputShape;
  if (channels !== 1 && channels !== 3) throw new PrivmedError(`${dir}: models with ${channels} input channels are not supported by predict`);
  return { version: 1, input: { height, width, channels }, normalize: meta.normalisation };
}

export function registerPredictCommand(program: Command): void {
  program
    .command('predict')
    .description('class and probability for each image file (PNG, JPEG, DICOM, NIfTI slice)')
    .requiredOption('--model <dir>', 'model folder (as written by privmed train)')
    .argument('<files...>', 'image files')
    .option('--backend <name>', 'wasm, cpu or tensorflow', 'wasm')
    .option('--strict', 'stop at the first unreadable file', false)
    .option('--json', 'one JSON object per file', false)
    .action(async (files: string[], opts: { model: string; backend: BackendName; strict: boolean; json: boolean }) => {
      const line = await initBackend(opts.backend);
      if (!opts.json) process.stderr.write(line + '\n');
      const { model, meta } = await loadModel(opts.model);
      const spec = inferencePreprocessing(meta, opts.model);
      const [h, w, c] = meta.spec.inputShape;
      const readOpts = fileOptionsFromSpec(spec);
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
        const probs = tf.tidy(() => tf.softmax(model.apply(tf.tensor4d(x, [1, h, w, c]), { training: false }) as tf.Tensor2D).dataSync());
        let best = 0;
        for (let k = 1; k < probs.length; k++) if (probs[k]! > probs[best]!) best = k;
        const probabilities = Object.fromEntries(meta.classes.map((name, k) => [name, Number(probs[k]!.toFixed(6))]));
        if (opts.json) printJson({ file, class: meta.classes[best], probability: probs[best], probabilities });
        else console.log(`${file}\t${meta.classes[best]}\t${probs[best]!.toFixed(4)}`);
      }
      model.dispose();
      if (failed) process.exitCode = 1;
    });
}
