/**
 * Macenko stain normalisation (Macenko et al., ISBI 2009): the two stain
 * vectors are the extreme angles (1st and 99th percentile) of the tissue's
 * optical densities projected on their plane of largest variance; the
 * concentrations are rescaled so that their 99th percentiles match the
 * reference, then recombined with the reference's stain vectors.
 */
import { fromOpticalDensity, opticalDensity } from './colour.js';

export interface MacenkoStats {
  /** Unit optical-density vectors of haematoxylin and eosin (RGB order). */
  stains: [[number, number, number], [number, number, number]];
  /** 99th percentile of each stain's concentration. */
  maxConcentrations: [number, number];
}

/**
 * Pixels whose mean optical density over the channels is below this are
 * background. (A per-channel test would also drop pure eosin, whose red
 * absorption is small.)
 */
const OD_THRESHOLD = 0.15;
/** Fewer tissue pixels than this share of the tile: too little to estimate stains from. */
const MIN_TISSUE = 0.05;

/** The stains and concentration scale of an image, or null when it holds too little tissue. */
export function macenkoStats(rgb: Float32Array): MacenkoStats | null {
  const od = opticalDensity(rgb);
  const tissue = tissueOd(od);
  if (tissue.length / 3 < Math.max(16, (MIN_TISSUE * od.length) / 3)) return null;
  const [v1, v2] = principalPlane(tissue);
  const angles = new Float64Array(tissue.length / 3);
  for (let p = 0; p < angles.length; p++) angles[p] = Math.atan2(dot(tissue, p, v2), dot(tissue, p, v1));
  const sorted = angles.slice().sort();
  const lo = percentile(sorted, 1);
  const hi = percentile(sorted, 99);
  const a = unit(v1.map((x, k) => x * Math.cos(lo) + v2[k]! * Math.sin(lo)));
  const b = unit(v1.map((x, k) => x * Math.cos(hi) + v2[k]! * Math.sin(hi)));
  // Haematoxylin absorbs more red than eosin does.
  const stains: MacenkoStats['stains'] = a[0]! > b[0]! ? [a, b] : [b, a];
  const conc = concentrations(od, stains);
  const maxConcentrations: [number, number] = [0, 1].map((s) => {
    const c = Float64Array.from({ length: conc.length / 2 }, (_, p) => conc[2 * p + s]!).sort();
    return Math.max(percentile(c, 99), 1e-6);
  }) as [number, number];
  return { stains, maxConcentrations };
}

/** The image with its stains and concentrations mapped onto the reference's; unchanged when it holds too little tissue. */
export function macenkoNormalise(rgb: Float32Array, ref: MacenkoStats): Float32Array {
  const own = macenkoStats(rgb);
  if (!own) return rgb.slice();
  const od = opticalDensity(rgb);
  const conc = concentrations(od, own.stains);
  const out = new Float32Array(od.length);
  const scale = [ref.maxConcentrations[0] / own.maxConcentrations[0], ref.maxConcentrations[1] / own.maxConcentrations[1]];
  for (let p = 0; p < od.length / 3; p++) {
    const h = conc[2 * p]! * scale[0]!;
    const e = conc[2 * p + 1]! * scale[1]!;
    for (let k = 0; k < 3; k++) out[3 * p + k] = h * ref.stains[0][k]! + e * ref.stains[1][k]!;
  }
  return fromOpticalDensity(out);
}

function tissueOd(od: Float32Array): Float32Array {
  const keep: number[] = [];
  for (let i = 0; i < od.length; i += 3) {
    if (od[i]! + od[i + 1]! + od[i + 2]! >= 3 * OD_THRESHOLD) keep.push(od[i]!, od[i + 1]!, od[i + 2]!);
  }
  return Float32Array.from(keep);
}

/** Least-squares concentrations of two stains per pixel: [h0, e0, h1, e1, ...]. */
function concentrations(od: Float32Array, stains: MacenkoStats['stains']): Float64Array {
  const [h, e] = stains;
  const hh = h[0] * h[0] + h[1] * h[1] + h[2] * h[2];
  const ee = e[0] * e[0] + e[1] * e[1] + e[2] * e[2];
  const he = h[0] * e[0] + h[1] * e[1] + h[2] * e[2];
  const det = hh * ee - he * he || 1e-12;
  const out = new Float64Array((od.length / 3) * 2);
  for (let p = 0; p < od.length / 3; p++) {
    const oh = dot(od, p, h);
    const oe = dot(od, p, e);
    out[2 * p] = (ee * oh - he * oe) / det;
    out[2 * p + 1] = (hh * oe - he * oh) / det;
  }
  return out;
}

/** The two leading eigenvectors of the (uncentred, as Macenko) 3x3 second-moment matrix. */
function principalPlane(od: Float32Array): [number[], number[]] {
  const m = [0, 0, 0, 0, 0, 0, 0, 0, 0];
  const n = od.length / 3;
  for (let p = 0; p < n; p++) for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) m[3 * i + j]! += (od[3 * p + i]! * od[3 * p + j]!) / n;
  const { values, vectors } = symmetricEigen3(m);
  const order = [0, 1, 2].sort((a, b) => values[b]! - values[a]!);
  // Orient both towards positive optical density so that the angles are comparable between images.
  const orient = (v: number[]) => (v[0]! + v[1]! + v[2]! < 0 ? v.map((x) => -x) : v);
  return [orient(vectors[order[0]!]!), orient(vectors[order[1]!]!)];
}

/** Jacobi rotations on a symmetric 3x3 matrix (row-major): eigenvalues and unit eigenvectors. */
export function symmetricEigen3(matrix: number[]): { values: number[]; vectors: number[][] } {
  const a = matrix.slice();
  const v = [1, 0, 0, 0, 1, 0, 0, 0, 1];
  for (let sweep = 0; sweep < 50; sweep++) {
    const off = a[1]! ** 2 + a[2]! ** 2 + a[5]! ** 2;
    if (off < 1e-24) break;
    for (const [p, q] of [[0, 1], [0, 2], [1, 2]] as const) {
      const apq = a[3 * p + q]!;
      if (Math.abs(apq) < 1e-30) continue;
      const theta = (a[3 * q + q]! - a[3 * p + p]!) / (2 * apq);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1);
      const s = t * c;
      for (let k = 0; k < 3; k++) {
        const akp = a[3 * k + p]!;
        const akq = a[3 * k + q]!;
        a[3 * k + p] = c * akp - s * akq;
        a[3 * k + q] = s * akp + c * akq;
      }
      for (let k = 0; k < 3; k++) {
        const apk = a[3 * p + k]!;
        const aqk = a[3 * q + k]!;
        a[3 * p + k] = c * apk - s * aqk;
        a[3 * q + k] = s * apk + c * aqk;
      }
      for (let k = 0; k < 3; k++) {
        const vkp = v[3 * k + p]!;
        const vkq = v[3 * k + q]!;
        v[3 * k + p] = c * vkp - s * vkq;
        v[3 * k + q] = s * vkp + c * vkq;
      }
    }
  }
  return { values: [a[0]!, a[4]!, a[8]!], vectors: [0, 1, 2].map((j) => [v[j]!, v[3 + j]!, v[6 + j]!]) };
}

function dot(od: ArrayLike<number>, p: number, v: ArrayLike<number>): number {
  return od[3 * p]! * v[0]! + od[3 * p + 1]! * v[1]! + od[3 * p + 2]! * v[2]!;
}

function unit(v: number[]): [number, number, number] {
  const n = Math.hypot(v[0]!, v[1]!, v[2]!) || 1;
  return [v[0]! / n, v[1]! / n, v[2]! / n];
}

/** Linear-interpolated percentile of sorted values. */
function percentile(sorted: ArrayLike<number>, q: number): number {
  const pos = ((sorted.length - 1) * q) / 100;
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}
