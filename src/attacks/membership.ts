/**
 * Membership inference against models privmed trains.
 *
 * M models are trained on random halves of a pool (complementary pairs, so
 * every example is out of exactly half of them); each model in turn is the
 * target and the others its shadows, and the scores of all targets are
 * pooled (Carlini et al. 2022's evaluation; it gives M x N / 2 non-members,
 * enough to read a TPR at 0.1% FPR).
 *  - Yeom et al. (CSF 2018): score = -loss under the target.
 *  - LiRA offline with a fixed variance (Carlini et al., S&P 2022): phi =
 *    log p_y - log(1 - p_y) under the target; mu_out(x) = mean phi of x over
 *    the shadows that did not train on x; score = (phi - mu_out(x)) / sigma,
 *    sigma one global deviation of the out scores (one-sided: members score high).
 * For a DP model, Yeom's bound on the membership advantage TPR - FPR is
 * e^eps - 1 (pure DP; with delta the bound adds delta).
 */
import { rocAuc } from '../metrics/classification.js';
import { rocPoints } from '../plots/roc.js';
import { ArrayDataset, type Dataset } from '../data/dataset.js';
import { Rng } from '../common/rng.js';
import { PrivmedError } from '../common/errors.js';
import { scoreDataset } from './scores.js';
import { trainTarget, type TargetPrivacy } from './train-target.js';

export interface AttackMetrics {
  auc: number;
  /** TPR at the largest FPR below 0.1% (LiRA's convention). */
  tprAt01: number;
  /** max over thresholds of TPR - FPR. */
  advantage: number;
  /** ROC corners, thinned to at most 400, for plots. */
  roc: [number, number][];
}

export interface MembershipRow {
  model: string;
  /** null for the non-private models. */
  epsilon: number | null;
  delta: number | null;
  /** e^eps - 1 (+ delta): what DP promises about the advantage. */
  yeomBound: number | null;
  testAccuracy: number;
  trainAccuracy: number;
  yeom: AttackMetrics;
  lira: AttackMetrics;
  models: number;
  members: number;
  nonMembers: number;
  secondsPerModel: number;
}

export function attackMetrics(isMember: ArrayLike<number>, scores: ArrayLike<number>): AttackMetrics {
  const pts = rocPoints(isMember, scores, 1);
  let tpr = 0;
  let adv = 0;
  for (const [f, t] of pts) {
    if (f < 0.001) tpr = Math.max(tpr, t);
    adv = Math.max(adv, t - f);
  }
  const step = Math.max(1, Math.ceil(pts.length / 400));
  const roc = pts.filter((_, i) => i % step === 0 || i === pts.length - 1);
  return { auc: rocAuc(isMember, scores, 1), tprAt01: tpr, advantage: adv, roc };
}

export interface MembershipOptions {
  pool: Dataset;
  /** Models per setting (even: complementary pairs). */
  models: number;
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
  /** Settings to attack: null = non-private. */
  settings: { name: string; privacy: Omit<TargetPrivacy, 'site'> | null }[];
  test?: Dataset;
  log?: (line: string) => void;
}

async function toArrays(d: Dataset): Promise<ArrayDataset> {
  const { height, width, channels } = d.info;
  const px = height * width * channels;
  const x = new Float32Array(d.length * px);
  const y = new Int32Array(d.length);
  for (let i = 0; i < d.length; i++) {
    const s = await d.get(i);
    x.set(s.image, i * px);
    y[i] = s.label;
  }
  return new ArrayDataset(d.info, x, y, 'pool');
}

async function subset(all: ArrayDataset, idx: number[]): Promise<ArrayDataset> {
  const { height, width, channels } = all.info;
  const px = height * width * channels;
  const x = new Float32Array(idx.length * px);
  const y = new Int32Array(idx.length);
  for (let j = 0; j < idx.length; j++) {
    x.set((await all.get(idx[j]!)).image, j * px);
    y[j] = all.label(idx[j]!);
  }
  return new ArrayDataset(all.info, x, y, 'half');
}

const accuracy = (correct: Uint8Array): number => correct.reduce((n, c) => n + c, 0) / Math.max(correct.length, 1);

export async function runMembership(o: MembershipOptions): Promise<MembershipRow[]> {
  // Offline LiRA scores x against shadows that left x out; with one pair, a non-member of the target has none.
  if (!(o.models >= 4 && o.models % 2 === 0)) throw new PrivmedError(`membership inference needs an even number of models >= 4 (complementary pairs; each target needs shadows that left every example out), got ${o.models}`);
  const pool = await toArrays(o.pool);
  const n = pool.length;
  const rng = new Rng(o.seed);
  // keep[m][i]: model m trained on example i.
  const keep: Uint8Array[] = [];
  for (let p = 0; p < o.models / 2; p++) {
    const order = rng.shuffle(Array.from({ length: n }, (_, i) => i));
    const a = new Uint8Array(n);
    for (let j = 0; j < n / 2; j++) a[order[j]!] = 1;
    keep.push(a, a.map((v) => 1 - v));
  }
  const rows: MembershipRow[] = [];
  for (const setting of o.settings) {
    const phi: Float64Array[] = [];
    const loss: Float64Array[] = [];
    const correct: Uint8Array[] = [];
    let epsilon: number | null = null;
    let testAcc = 0;
    const t0 = Date.now();
    for (let m = 0; m < o.models; m++) {
      const idx = Array.from({ length: n }, (_, i) => i).filter((i) => keep[m]![i]);
      const half = await subset(pool, idx);
      const t = await trainTarget({
        train: half,
        epochs: o.epochs,
        batchSize: o.batchSize,
        lr: o.lr,
        seed: o.seed * 1000 + m,
        ...(setting.privacy ? { privacy: { ...setting.privacy, site: `mia-${setting.name}-model${m}` } } : {}),
      });
      const s = await scoreDataset(t.model, pool);
      if (o.test) testAcc += accuracy((await scoreDataset(t.model, o.test)).correct) / o.models;
      t.model.dispose();
      phi.push(s.phi);
      loss.push(s.loss);
      correct.push(s.correct);
      if (t.epsilon !== null) epsilon = Math.max(epsilon ?? 0, t.epsilon);
      o.log?.(`membership ${setting.name}: model ${m + 1}/${o.models} trained (${((Date.now() - t0) / 1000 / (m + 1)).toFixed(0)} s per model)`);
    }
    // Global out-deviation: the spread of phi around each example's out-mean.
    const outMean = (i: number, except: number): number => {
      let s = 0;
      let c = 0;
      for (let m = 0; m < o.models; m++) if (m !== except && !keep[m]![i]) (s += phi[m]![i]!), c++;
      return c ? s / c : NaN;
    };
    let dev = 0;
    let devN = 0;
    for (let m = 0; m < o.models; m++) for (let i = 0; i < n; i++) if (!keep[m]![i]) {
      const mu = outMean(i, m);
      if (Number.isFinite(mu)) (dev += (phi[m]![i]! - mu) ** 2), devN++;
    }
    const sigma = Math.sqrt(dev / Math.max(devN, 1)) || 1;
    const member: number[] = [];
    const yeomScores: number[] = [];
    const liraScores: number[] = [];
    let trainAcc = 0;
    let members = 0;
    for (let m = 0; m < o.models; m++) {
      for (let i = 0; i < n; i++) {
        const mu = outMean(i, m);
        if (!Number.isFinite(mu)) continue;
        member.push(keep[m]![i]!);
        yeomScores.push(-loss[m]![i]!);
        liraScores.push((phi[m]![i]! - mu) / sigma);
        if (keep[m]![i]) (members++, (trainAcc += correct[m]![i]!));
      }
    }
    const delta = setting.privacy?.delta ?? null;
    rows.push({
      model: setting.name,
      epsilon,
      delta,
      yeomBound: epsilon === null ? null : Math.expm1(epsilon) + (delta ?? 0),
      testAccuracy: testAcc,
      trainAccuracy: trainAcc / Math.max(members, 1),
      yeom: attackMetrics(member, yeomScores),
      lira: attackMetrics(member, liraScores),
      models: o.models,
      members,
      nonMembers: member.length - members,
      secondsPerModel: (Date.now() - t0) / 1000 / o.models,
    });
  }
  return rows;
}
