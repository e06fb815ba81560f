/** A small-CNN DP trainer on synthetic halves data, as the federation DP tests and the dashboard tests run it. */
import { join } from 'node:path';
import { PrivacySchema } from '../../../src/dp/privacy-config.js';
import { TfjsLocalTrainer } from '../../../src/site/site-trainer.js';
import { halvesDataset } from '../../fixtures/synthetic.js';

export const DP_TRAIN_SIZE = 32;
export const DP_BATCH = 8; // q = 0.25, 4 Poisson steps per local epoch

/** calibrate: no noise multiplier, only the budget (targetEpsilon required): the node calibrates at its first fit. */
export function tinyDpTrainer(dir: string, node: string, index: number, targetEpsilon?: number, o: { calibrate?: boolean; log?: (line: string) => void } = {}): TfjsLocalTrainer {
  const privacy = PrivacySchema.parse({ ...(o.calibrate ? {} : { noiseMultiplier: 1 }), clipNorm: 1, delta: 1e-5, perSampleGradients: 'loop', ...(targetEpsilon ? { targetEpsilon } : {}) });
  return new TfjsLocalTrainer({
    spec: { arch: 'small-cnn', inputShape: [8, 8, 1], numClasses: 2, norm: 'group' },
    train: halvesDataset(DP_TRAIN_SIZE, 8, 10 + index),
    val: halvesDataset(16, 8, 20 + index),
    normalisation: { mean: [0.5], std: [0.3] },
    batchSize: DP_BATCH,
    optimizer: { name: 'sgd', lr: 0.1, momentum: 0, weightDecay: 0 },
    classWeights: null,
    seed: index,
    privacy: { privacy, ledger: join(dir, `${node}-ledger.sqlite`), site: node, ...(o.log ? { log: o.log } : {}) },
  });
}
