/**
 * The one-run audit of a real DP-SGD run (Steinke, Nasr, Jagielski 2023):
 * m canaries, each put into the training set with probability 1/2 (a fair
 * coin from the seeded RNG: the coin is the audit's secret, not the DP
 * noise); one DP-SGD run through makePrivate at the target epsilon; each
 * canary scored by its loss under the final model (black-box); eps_lb at 95%
 * confidence from the scores. An eps_lb above the accountant's epsilon means
 * the guarantee is broken (wrong sample rate, missing noise, ...): a bug.
 *
 * Canaries are training images with their label flipped, the easiest
 * black-box canaries to memorise; the bound is loose by design (input-space
 * canaries, final model only), so a small eps_lb does not mean "safe".
 */
import { ArrayDataset, type Dataset } from '../data/dataset.js';
import { Rng } from '../common/rng.js';
import { PrivmedError } from '../common/errors.js';
import { auditOneRun, type OneRunAudit } from './audit-bound.js';
import { scoreDataset } from './scores.js';
import { trainTarget } from './train-target.js';

export interface AuditRunOptions {
  /** Images to draw the base training set and the canaries from. */
  pool: Dataset;
  canaries: number;
  /** Base (non-canary) training images; default all the pool has left. */
  baseSize?: number;
  /** null: no DP, a negative control that shows what the attack detects when nothing is protected. */
  epsilon: number | null;
  delta: number;
  clipNorm: number;
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
  ledger: string;
  significance?: number;
}

export interface AuditRunResult extends OneRunAudit {
  /** The accountant's epsilon for the run, from the ledger. */
  epsilon: number;
  delta: number;
  noiseMultiplier: number;
  steps: number;
  included: number;
  trainSize: number;
  significance: number;
  /** eps_lb <= epsilon: the audit found no violation. */
  passed: boolean;
  inScores: number[];
  outScores: number[];
}

async function materialise(data: Dataset, indices: number[], label: (i: number, y: number) => number, name: string): Promise<ArrayDataset> {
  const { height, width, channels } = data.info;
  const px = height * width * channels;
  const images = new Float32Array(indices.length * px);
  const labels = new Int32Array(indices.length);
  for (let j = 0; j < indices.length; j++) {
    const s = await data.get(indices[j]!);
    images.set(s.image, j * px);
    labels[j] = label(j, s.label);
  }
  return new ArrayDataset(data.info, images, labels, name);
}

export async function runAudit(o: AuditRunOptions): Promise<AuditRunResult> {
  const significance = o.significance ?? 0.05;
  const k = o.pool.info.classes.length;
  if (o.canaries < 2) throw new PrivmedError(`the audit needs at least 2 canaries, got ${o.canaries}`);
  if (o.canaries >= o.pool.length) throw new PrivmedError(`${o.canaries} canaries leave no base training images in a pool of ${o.pool.length}`);
  const rng = new Rng(o.seed);
  const order = rng.shuffle(Array.from({ length: o.pool.length }, (_, i) => i));
  const canaryIdx = order.slice(0, o.canaries);
  const baseIdx = order.slice(o.canaries, o.canaries + (o.baseSize ?? o.pool.length));
  const flip = (_j: number, y: number): number => (y + 1) % k;
  const canaries = await materialise(o.pool, canaryIdx, flip, 'canaries');
  const coin = rng.fork(1);
  const included = canaryIdx.map(() => coin.next() < 0.5);
  const trainIdx = [...baseIdx, ...canaryIdx.filter((_, j) => included[j])];
  const nBase = baseIdx.length;
  const canaryOf = new Map(canaryIdx.map((idx, j) => [idx, j]));
  // Included canaries keep their flipped label in the training set.
  const train = await materialise(o.pool, trainIdx, (j, y) => (j < nBase ? y : flip(canaryOf.get(trainIdx[j]!)!, y)), 'audit-train');
  const t = await trainTarget({
    train,
    epochs: o.epochs,
    batchSize: o.batchSize,
    lr: o.lr,
    seed: o.seed,
    ...(o.epsilon !== null ? { privacy: { epsilon: o.epsilon, delta: o.delta, clipNorm: o.clipNorm, ledger: o.ledger, site: 'audit' } } : {}),
  });
  const scores = await scoreDataset(t.model, canaries);
  t.model.dispose();
  const inScores: number[] = [];
  const outScores: number[] = [];
  included.forEach((inc, j) => (inc ? inScores : outScores).push(-scores.loss[j]!));
  const bound = auditOneRun(inScores, outScores, { significance, delta: o.delta });
  const epsilon = t.epsilon ?? Infinity;
  return {
    ...bound,
    epsilon,
    delta: o.delta,
    noiseMultiplier: t.noiseMultiplier ?? 0,
    steps: t.steps,
    included: inScores.length,
    trainSize: train.length,
    significance,
    passed: bound.epsLb <= epsilon,
    inScores,
    outScores,
  };
}
