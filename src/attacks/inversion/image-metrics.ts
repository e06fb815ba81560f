/**
 * How close a reconstruction is to the true image, on [0, 1] greyscale/HWC
 * images: MSE, PSNR = 10 log10(1 / MSE), and SSIM as Wang et al. (2004)
 * computed the way scikit-image's structural_similarity does by default:
 * a 7x7 uniform window, K1 = 0.01, K2 = 0.03, data range 1, sample
 * covariances (N / (N - 1)), the mean over the windows that lie wholly inside
 * the image, channels averaged. (Breaching's "SSIM" is CW-SSIM; not this.)
 * Reconstructions come back in any order, so they are matched to the true
 * images by the assignment of least total MSE (Hungarian algorithm).
 */
import { PrivmedError } from '../../common/errors.js';

export interface ImageShape {
  height: number;
  width: number;
  channels: number;
}

export function mse(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new PrivmedError(`images of ${a.length} and ${b.length} values cannot be compared`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return s / a.length;
}

/** PSNR in dB for images in [0, 1]; capped at 100 dB for identical images. */
export function psnr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const m = mse(a, b);
  return m <= 1e-10 ? 100 : 10 * Math.log10(1 / m);
}

const WIN = 7;
const C1 = (0.01 * 1) ** 2;
const C2 = (0.03 * 1) ** 2;

export function ssim(a: ArrayLike<number>, b: ArrayLike<number>, shape: ImageShape): number {
  const { height: h, width: w, channels: c } = shape;
  if (a.length !== h * w * c || b.length !== h * w * c) throw new PrivmedError(`SSIM: images must have ${h}x${w}x${c} values`);
  if (h < WIN || w < WIN) throw new PrivmedError(`SSIM with a ${WIN}x${WIN} window needs images of at least ${WIN}x${WIN}, got ${h}x${w}`);
  const n = WIN * WIN;
  const cov = n / (n - 1);
  let total = 0;
  let count = 0;
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y + WIN <= h; y++) {
      for (let x = 0; x + WIN <= w; x++) {
        let sa = 0;
        let sb = 0;
        let saa = 0;
        let sbb = 0;
        let sab = 0;
        for (let dy = 0; dy < WIN; dy++) {
          for (let dx = 0; dx < WIN; dx++) {
            const i = ((y + dy) * w + x + dx) * c + ch;
            const va = a[i]!;
            const vb = b[i]!;
            sa += va;
            sb += vb;
            saa += va * va;
            sbb += vb * vb;
            sab += va * vb;
          }
        }
        const ma = sa / n;
        const mb = sb / n;
        const va = cov * (saa / n - ma * ma);
        const vb = cov * (sbb / n - mb * mb);
        const vab = cov * (sab / n - ma * mb);
        total += ((2 * ma * mb + C1) * (2 * vab + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2));
        count++;
      }
    }
  }
  return total / count;
}

/**
 * Minimum-cost assignment of rows to columns (rows <= columns): for each row
 * the column it gets. O(n^2 m), the shortest-augmenting-path Hungarian method.
 */
export function assign(cost: number[][]): number[] {
  const n = cost.length;
  const m = n ? cost[0]!.length : 0;
  if (n > m) throw new PrivmedError(`cannot assign ${n} reconstructions to ${m} images`);
  const u = new Float64Array(n + 1);
  const v = new Float64Array(m + 1);
  const p = new Int32Array(m + 1);
  const way = new Int32Array(m + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Float64Array(m + 1).fill(Infinity);
    const used = new Uint8Array(m + 1);
    do {
      used[j0] = 1;
      const i0 = p[j0]!;
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const cur = cost[i0 - 1]![j - 1]! - u[i0]! - v[j]!;
        if (cur < minv[j]!) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j]! < delta) {
          delta = minv[j]!;
          j1 = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[p[j]!] += delta;
          v[j] -= delta;
        } else minv[j] -= delta;
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0]!;
      p[j0] = p[j1]!;
      j0 = j1;
    } while (j0);
  }
  const rowToCol = new Array<number>(n).fill(-1);
  for (let j = 1; j <= m; j++) if (p[j]! > 0) rowToCol[p[j]! - 1] = j - 1;
  return rowToCol;
}

export interface MatchedScores {
  /** For reconstruction i, the index of the true image it was matched with. */
  match: number[];
  mse: number[];
  psnr: number[];
  ssim: number[];
  /** NVFlare's relative data leakage value per reconstruction: (SSIM(rec, x) - SSIM(prior, x)) / SSIM(prior, x). */
  rdlv: number[];
  /** PSNR of the prior itself against each matched image: the floor a reconstruction must beat to show anything. */
  priorPsnr: number[];
}

/** Matches reconstructions to true images (least total MSE) and scores each pair; `prior` is the attacker's starting guess. */
export function matchAndScore(recs: Float32Array[], truths: Float32Array[], shape: ImageShape, prior: Float32Array): MatchedScores {
  const match = assign(recs.map((r) => truths.map((t) => mse(r, t))));
  const out: MatchedScores = { match, mse: [], psnr: [], ssim: [], rdlv: [], priorPsnr: [] };
  recs.forEach((r, i) => {
    const t = truths[match[i]!]!;
    out.mse.push(mse(r, t));
    out.psnr.push(psnr(r, t));
    const s = ssim(r, t, shape);
    out.ssim.push(s);
    const sp = ssim(prior, t, shape);
    out.rdlv.push((s - sp) / Math.max(Math.abs(sp), 1e-6));
    out.priorPsnr.push(psnr(prior, t));
  });
  return out;
}
