/**
 * The updates a gradient-inversion attacker gets to see, each produced by the
 * real site trainer (TfjsLocalTrainer, the class a hospital node runs) in a
 * first federated round from the same global weights:
 *   plain  - one node's update, as the coordinator sees it without secure aggregation;
 *   secagg - the average of n nodes' updates: all SecAgg lets the coordinator learn;
 *   dp     - one node's DP-SGD update (clipping and Gaussian noise at the configured
 *            noise multiplier, charged to a ledger as any fit);
 *   ckks   - nothing: refused by construction (see CKKS_REFUSAL).
 * Nodes train one local step of plain SGD (lr, no momentum) on their whole
 * local batch, so the update is -lr times the batch gradient and its direction
 * is what the attack matches.
 */
import { ArrayDataset, type Dataset } from '../../data/dataset.js';
import type { ChannelStats } from '../../data/preprocess/normalize.js';
import { PrivmedError } from '../../common/errors.js';
import { Rng } from '../../common/rng.js';
import { TfjsLocalTrainer } from '../../site/site-trainer.js';
import type { NamedWeights } from '../../training/weights.js';
import type { PrivacyConfig } from '../../dp/privacy-config.js';

export type TargetKind = 'plain' | 'secagg' | 'dp' | 'ckks';
export const TARGET_KINDS: readonly TargetKind[] = ['plain', 'secagg', 'dp', 'ckks'];

export const CKKS_REFUSAL =
  'under CKKS each node uploads its update encrypted under the federation\'s threshold public key (RLWE, IND-CPA); the coordinator holds no secret key ' +
  'and the nodes only ever produce decryption shares of the SUM, so the one plaintext anyone sees is the aggregate (target secagg). ' +
  'A ciphertext is indistinguishable from random to the coordinator: there is no gradient to invert.';

export interface TargetOptions {
  kind: Exclude<TargetKind, 'ckks'>;
  /** Where the nodes' images come from (values in [0, 1]). */
  pool: Dataset;
  /** Images per node: its whole local data, trained as one batch. */
  batch: number;
  /** Nodes averaged under secagg (1 for plain and dp). */
  nodes: number;
  normalisation: ChannelStats;
  lr: number;
  seed: number;
  /** The global weights of the round; default freshly initialised (round 1). */
  global?: NamedWeights[];
  dp?: { noiseMultiplier: number; clipNorm: number; delta: number; ledger: string };
}

export interface CapturedTarget {
  kind: TargetKind;
  global: NamedWeights[];
  /** -(w1 - w0) / lr: the observed gradient direction. */
  gradient: NamedWeights[];
  /** The true images behind the update, in [0, 1], and their labels. */
  truths: Float32Array[];
  labels: number[];
  nodes: number;
  batch: number;
}

async function nodeData(pool: Dataset, indices: number[], name: string): Promise<{ data: ArrayDataset; images: Float32Array[]; labels: number[] }> {
  const images: Float32Array[] = [];
  const labels: number[] = [];
  for (const i of indices) {
    const s = await pool.get(i);
    images.push(Float32Array.from(s.image));
    labels.push(s.label);
  }
  const flat = new Float32Array(images.reduce((n, im) => n + im.length, 0));
  images.forEach((im, j) => flat.set(im, j * im.length));
  return { data: new ArrayDataset(pool.info, flat, Int32Array.from(labels), name), images, labels };
}

export async function captureTarget(o: TargetOptions): Promise<CapturedTarget> {
  const nodes = o.kind === 'secagg' ? o.nodes : 1;
  if (!(Number.isInteger(o.batch) && o.batch >= 1 && o.batch <= 64)) throw new PrivmedError(`batch must be a whole number in 1..64, got ${o.batch}`);
  if (!(Number.isInteger(nodes) && nodes >= 1 && nodes * o.batch <= o.pool.length)) throw new PrivmedError(`${nodes} node(s) of ${o.batch} images need more than the ${o.pool.length} in the pool`);
  if (o.kind === 'dp' && !o.dp) throw new PrivmedError('the dp target needs the node\'s privacy settings (noise multiplier, clip norm, delta, ledger)');
  const { height, width, channels, classes } = o.pool.info;
  const order = new Rng(o.seed).shuffle(Array.from({ length: o.pool.length }, (_, i) => i));
  let global = o.global;
  const sum: Float64Array[] = [];
  const truths: Float32Array[] = [];
  const labels: number[] = [];
  const privacy: PrivacyConfig | null = o.dp
    ? { delta: o.dp.delta, noiseMultiplier: o.dp.noiseMultiplier, clipNorm: o.dp.clipNorm, clipping: 'flat', sampling: 'poisson', accountant: 'rdp', perSampleGradients: 'auto', augmentationMultiplicity: 1, statisticsShare: 0.1, ledger: o.dp.ledger }
    : null;
  for (let k = 0; k < nodes; k++) {
    const local = await nodeData(o.pool, order.slice(k * o.batch, (k + 1) * o.batch), `node${k + 1}`);
    const trainer = new TfjsLocalTrainer({
      spec: { arch: 'small-cnn', inputShape: [height, width, channels], numClasses: classes.length, norm: 'none' },
      train: local.data,
      val: local.data,
      normalisation: o.normalisation,
      batchSize: o.batch,
      optimizer: { name: 'sgd', lr: o.lr, momentum: 0, weightDecay: 0 },
      classWeights: null,
      seed: o.seed + k,
      ...(o.kind === 'dp' && privacy ? { privacy: { privacy, ledger: privacy.ledger!, site: `node${k + 1}`, log: () => {} } } : {}),
    });
    global ??= await trainer.initialWeights();
    const out = await trainer.fit(global.map((w) => w.data), { round: 1, localEpochs: 1 });
    out.weights.forEach((w, i) => {
      const acc = (sum[i] ??= new Float64Array(w.length));
      const w0 = global![i]!.data;
      for (let j = 0; j < w.length; j++) acc[j] += w[j]! - w0[j]!;
    });
    truths.push(...local.images);
    labels.push(...local.labels);
  }
  const gradient = global!.map((w, i) => ({ name: w.name, shape: w.shape, data: Float32Array.from(sum[i]!, (d) => -d / nodes / o.lr) }));
  return { kind: o.kind, global: global!, gradient, truths, labels, nodes, batch: o.batch };
}
