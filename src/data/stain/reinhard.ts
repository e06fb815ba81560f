/**
 * Reinhard colour transfer (Reinhard et al. 2001) in CIELAB: each channel is
 * shifted and scaled so that the image's mean and standard deviation become
 * the reference's. The statistics are taken over tissue (L* below
 * BACKGROUND_L); a tile with too little tissue (empty glass) is left as it
 * is, since stretching its background to tissue statistics would invent stain.
 */
import { labToRgb, rgbToLab } from './colour.js';

export interface ReinhardStats {
  /** L*a*b* channel means and standard deviations. */
  mean: [number, number, number];
  std: [number, number, number];
}

const BACKGROUND_L = 88;
const MIN_TISSUE = 0.05;

function labStats(lab: Float32Array): ReinhardStats | null {
  const n = lab.length / 3;
  let tissue = 0;
  for (let p = 0; p < n; p++) if (lab[3 * p]! < BACKGROUND_L) tissue++;
  if (tissue < Math.max(16, MIN_TISSUE * n)) return null;
  const sum = [0, 0, 0];
  const sq = [0, 0, 0];
  let count = 0;
  for (let p = 0; p < n; p++) {
    if (lab[3 * p]! >= BACKGROUND_L) continue;
    count++;
    for (let c = 0; c < 3; c++) {
      sum[c]! += lab[3 * p + c]!;
      sq[c]! += lab[3 * p + c]! ** 2;
    }
  }
  const mean = sum.map((s) => s / (count || 1)) as ReinhardStats['mean'];
  const std = sq.map((s, c) => Math.sqrt(Math.max(0, s / (count || 1) - mean[c]! ** 2))) as ReinhardStats['std'];
  return { mean, std };
}

/** The tissue's L*a*b* statistics, or null when the image holds too little tissue. */
export function reinhardStats(rgb: Float32Array): ReinhardStats | null {
  return labStats(rgbToLab(rgb));
}

export function reinhardNormalise(rgb: Float32Array, ref: ReinhardStats): Float32Array {
  const lab = rgbToLab(rgb);
  const src = labStats(lab);
  if (!src) return rgb.slice();
  // A flat channel (std 0) keeps its spread of 0 and only moves to the reference mean.
  const gain = src.std.map((s, c) => (s > 1e-6 ? ref.std[c]! / s : 1));
  for (let i = 0; i < lab.length; i++) {
    const c = i % 3;
    lab[i] = (lab[i]! - src.mean[c]!) * gain[c]! + ref.mean[c]!;
  }
  return labToRgb(lab);
}
