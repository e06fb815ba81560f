/**
 * A model's intended use, stored in its privmed.json: what it was trained on
 * (modality, body part, photometric interpretation, 2-D, input shape), the
 * range of its validation inputs' statistics, and an out-of-distribution
 * score calibrated on the validation set (ood-score.ts). `privmed predict`
 * checks every input against it and names what differs (checkInput): a
 * warning by default, a refusal with --strict.
 *
 * Under DP the calibration reads the validation split, which DP-SGD does not
 * protect (docs/threat-model.md): the stored percentiles describe it.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../common/atomic.js';
import type { Dataset } from '../data/dataset.js';
import { datasetFeatures, fitMahalanobis, layoutFeatures, mahalanobisScore, quantile, withFeatures, type MahalanobisModel } from './ood-score.js';

export interface IntendedUse {
  /** DICOM Modality codes the model is for (e.g. CR, DX); absent: not known. */
  modality?: string[];
  /** DICOM Body Part Examined (e.g. CHEST); absent: not known. */
  bodyPart?: string;
  /** MONOCHROME (either polarity; the readers invert MONOCHROME1) or RGB. */
  photometric: 'MONOCHROME' | 'RGB';
  dimensions: 2;
  inputShape: [number, number, number];
  /** Range of the per-image mean and std of the model's (normalised) input over the validation set, 0.5th to 99.5th percentile. */
  inputStats: { mean: [number, number]; std: [number, number] };
  ood: MahalanobisModel & {
    /** Inputs scoring above this are out of distribution: the `percentile` of the validation scores. */
    threshold: number;
    percentile: number;
    validationImages: number;
  };
  /** The same on the input's layout (ood-score.ts layoutFeatures, a grid x grid mean image): a second score. */
  layout: MahalanobisModel & { grid: number; threshold: number; percentile: number };
}

/** What privmed knows of the data sets it reads by name (MedMNIST v2 and the histology tiles). */
const KNOWN: Record<string, Pick<IntendedUse, 'modality' | 'bodyPart'>> = {
  pneumoniamnist: { modality: ['CR', 'DX'], bodyPart: 'CHEST' },
  chestmnist: { modality: ['CR', 'DX'], bodyPart: 'CHEST' },
  breastmnist: { modality: ['US'], bodyPart: 'BREAST' },
  organamnist: { modality: ['CT'], bodyPart: 'ABDOMEN' },
  organcmnist: { modality: ['CT'], bodyPart: 'ABDOMEN' },
  organsmnist: { modality: ['CT'], bodyPart: 'ABDOMEN' },
  dermamnist: { modality: ['XC'], bodyPart: 'SKIN' },
  pathmnist: { modality: ['SM'], bodyPart: 'COLON' },
  kather2016: { modality: ['SM'], bodyPart: 'COLON' },
};

const OOD_PERCENTILE = 99;
const LAYOUT_GRID = 7;

/** Calibrates the intended use on the validation set `val` (preprocessed and normalised as the model sees it). */
export async function calibrateIntendedUse(model: tfl.LayersModel, val: Dataset, dataset: string): Promise<IntendedUse> {
  const { height, width, channels, classes } = val.info;
  const featured = withFeatures(model);
  const { features, labels, images } = await datasetFeatures(featured, val);
  const ood = fitMahalanobis(features, labels, classes.length);
  const scores = crossFittedScores(features, labels, classes.length);
  const stats = images.map(pixelStats);
  const shape: [number, number, number] = [height, width, channels];
  const grid = Math.min(LAYOUT_GRID, height, width);
  const layouts = images.map((x) => layoutFeatures(x, shape, grid));
  const oneClass = new Int32Array(layouts.length);
  const layout = { ...fitMahalanobis(layouts, oneClass, 1), grid, threshold: round(quantile(crossFittedScores(layouts, oneClass, 1), OOD_PERCENTILE / 100)), percentile: OOD_PERCENTILE };
  const range = (v: number[]): [number, number] => [round(quantile(v, 0.005)), round(quantile(v, 0.995))];
  return {
    ...KNOWN[dataset.toLowerCase()],
    photometric: channels === 3 ? 'RGB' : 'MONOCHROME',
    dimensions: 2,
    inputShape: [height, width, channels],
    inputStats: { mean: range(stats.map((s) => s.mean)), std: range(stats.map((s) => s.std)) },
    ood: { ...ood, threshold: round(quantile(scores, OOD_PERCENTILE / 100)), percentile: OOD_PERCENTILE, validationImages: features.length },
    layout,
  };
}

/** Adds the calibrated intended use to a saved model folder's privmed.json. */
export async function recordIntendedUse(dir: string, model: tfl.LayersModel, val: Dataset, dataset: string): Promise<IntendedUse> {
  const use = await calibrateIntendedUse(model, val, dataset);
  const file = join(dir, 'privmed.json');
  const meta = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  writeFileAtomic(file, JSON.stringify({ ...meta, intendedUse: use }, null, 2));
  return use;
}

/**
 * Scores of the validation images under a fit that did not see them (two
 * folds, each scored by the other's fit): distances of fitted images are
 * shorter than those of new ones, and the threshold is for new ones.
 */
function crossFittedScores(features: readonly Float32Array[], labels: Int32Array, classes: number): number[] {
  if (features.length < 20) {
    const m = fitMahalanobis(features, labels, classes);
    return features.map((x) => mahalanobisScore(m, x));
  }
  const fold = (i: number) => i % 2;
  const scores: number[] = [];
  for (const f of [0, 1]) {
    const fitOn = features.flatMap((x, i) => (fold(i) !== f ? [i] : []));
    const m = fitMahalanobis(fitOn.map((i) => features[i]!), Int32Array.from(fitOn, (i) => labels[i]!), classes);
    features.forEach((x, i) => fold(i) === f && scores.push(mahalanobisScore(m, x)));
  }
  return scores;
}

export function pixelStats(x: ArrayLike<number>): { mean: number; std: number } {
  let s = 0;
  let sq = 0;
  for (let i = 0; i < x.length; i++) {
    s += x[i]!;
    sq += x[i]! * x[i]!;
  }
  const mean = s / Math.max(1, x.length);
  return { mean, std: Math.sqrt(Math.max(0, sq / Math.max(1, x.length) - mean * mean)) };
}

/** What the file's header says (the parts checkInput compares). */
export interface InputHeader {
  format: string;
  modality?: string;
  bodyPart?: string;
  photometric?: string;
  /** NIfTI sizes (i, j, k, ...). */
  dims?: number[];
  frames?: number;
  channels?: number;
}

/**
 * Why an input is outside the model's intended use, one phrase per finding
 * (empty: inside). `input` is the model input (preprocessed, normalised),
 * `features` its penultimate features.
 */
export function checkInput(use: IntendedUse, header: InputHeader, input: ArrayLike<number>, features: ArrayLike<number>): string[] {
  const out: string[] = [];
  const modality = header.modality?.trim().toUpperCase();
  if (use.modality && modality && !use.modality.includes(modality)) out.push(`DICOM Modality ${modality}, the model is for ${use.modality.join('/')}`);
  const body = header.bodyPart?.trim().toUpperCase();
  if (use.bodyPart && body && body !== use.bodyPart) out.push(`DICOM Body Part Examined ${body}, the model is for ${use.bodyPart}`);
  const photometric = header.photometric?.toUpperCase();
  if (photometric && (photometric.startsWith('MONOCHROME') ? 'MONOCHROME' : 'RGB') !== use.photometric) {
    out.push(`photometric interpretation ${photometric}, the model is for ${use.photometric}`);
  }
  const volume = header.dims && header.dims.slice(2, 3).some((k) => k > 1) ? header.dims.slice(0, 3) : header.frames && header.frames > 1 ? [header.frames] : null;
  if (volume) out.push(`a ${header.dims ? `3-D volume (${volume.join('x')})` : `multi-frame image (${volume[0]} frames)`}, the model takes 2-D images: one slice was scored`);
  const s = pixelStats(input);
  const [lo, hi] = use.inputStats.mean;
  if (s.mean < lo || s.mean > hi) out.push(`mean input ${s.mean.toFixed(3)} outside the validation range [${lo}, ${hi}]`);
  const [slo, shi] = use.inputStats.std;
  if (s.std < slo || s.std > shi) out.push(`input contrast (std) ${s.std.toFixed(3)} outside the validation range [${slo}, ${shi}]`);
  const score = mahalanobisScore(use.ood, features);
  if (score > use.ood.threshold) out.push(`out-of-distribution score ${score.toFixed(2)} above ${use.ood.threshold} (the ${use.ood.percentile}th percentile of validation)`);
  if (use.layout) {
    const layout = mahalanobisScore(use.layout, layoutFeatures(input, use.inputShape, use.layout.grid));
    if (layout > use.layout.threshold) out.push(`image layout score ${layout.toFixed(2)} above ${use.layout.threshold} (the ${use.layout.percentile}th percentile of validation)`);
  }
  return out;
}

function round(v: number): number {
  return Number(v.toPrecision(6));
}
