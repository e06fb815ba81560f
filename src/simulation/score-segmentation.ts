/** The federation's best segmentation model on the held-back cases (the same split every site used). */
import { openSegmentation, segmentationFolder } from '../data/segmentation/open-segmentation.js';
import { patchFor } from '../data/segmentation/slice-dataset.js';
import type { SegmentationMetrics } from '../metrics/segmentation.js';
import { buildModel } from '../models/build.js';
import { saveModel } from '../models/io.js';
import type { ModelSpec } from '../models/spec.js';
import { allSlices, segmentationMeta } from '../site/run-segmentation.js';
import { SegmentationSchema } from '../site/segmentation-config.js';
import { evaluateSegmentation } from '../training/segmentation-task.js';
import { writeWeights } from '../training/weights.js';
import type { SimulationConfig } from './config.js';

export async function scoreSegmentation(cfg: SimulationConfig, weights: Float32Array[], modelDir: string, round: number): Promise<{ test: SegmentationMetrics; classes: string[] }> {
  const seg = cfg.segmentation ?? SegmentationSchema.parse({});
  const k = seg.classes.length;
  const splits = await openSegmentation(
    segmentationFolder(cfg.data.dataset, cfg.data.root),
    { numClasses: k, axis: seg.axis, ...(seg.binaryThreshold !== undefined ? { binaryThreshold: seg.binaryThreshold } : {}) },
    { ...(seg.testList ? { testList: seg.testList } : {}), testFraction: seg.testFraction, valFraction: seg.valFraction, splitSeed: seg.splitSeed },
    cfg.data.root,
  );
  const depth = cfg.model.depth ?? 3;
  const patch = seg.patch ?? patchFor([...splits.train, ...splits.val, ...splits.test], depth);
  const meta = segmentationMeta(seg, patch);
  const spec: ModelSpec = { arch: 'unet', inputShape: [patch[0], patch[1], 2 * seg.context + 1], numClasses: k, norm: cfg.model.norm, depth, width: cfg.model.width ?? 16 };
  const model = buildModel(spec);
  writeWeights(model, weights);
  const { cases: _c, ...test } = await evaluateSegmentation(model, allSlices(splits.test, meta, seg.classes), { numClasses: k, loss: seg.loss, hd95: true });
  await saveModel(modelDir, model, { spec, classes: seg.classes, normalisation: { mean: [0], std: [1] }, config: cfg, segmentation: meta, metrics: { round, testDice: test.meanDice } });
  model.dispose();
  return { test, classes: seg.classes };
}
