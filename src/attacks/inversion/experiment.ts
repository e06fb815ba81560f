/**
 * One gradient-inversion measurement per (target, batch): capture the update
 * (from a real federation round or the site trainer), invert it, match reconstructions to the true images,
 * score them, and draw originals (top row) against reconstructions (bottom).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset } from '../../data/dataset.js';
import type { ChannelStats } from '../../data/preprocess/normalize.js';
import { imageGridPng } from '../../plots/image-grid.js';
import { matchAndScore } from './image-metrics.js';
import { invertGradient } from './invert.js';
import { captureTarget, CKKS_REFUSAL, type TargetKind } from './targets.js';
import { captureFromFederation } from './federation-capture.js';

export interface InversionRow {
  target: TargetKind;
  /** Images per node. */
  batch: number;
  nodes: number;
  /** Images the attacker reconstructed (nodes x batch). */
  reconstructed: number;
  psnrMean: number;
  psnrMax: number;
  ssimMean: number;
  mseMean: number;
  rdlvMax: number;
  /** Mean PSNR of the attacker's flat prior (the data mean) against the same images: what "nothing learnt" scores. */
  psnrPrior: number;
  labelAccuracy: number;
  labelSource: string;
  seconds: number;
  /** The PNG grid (originals over reconstructions); base64 kept for the report. */
  grid: string | null;
  gridPng?: string;
  refused?: string;
}

export interface InversionExperiment {
  pool: Dataset;
  normalisation: ChannelStats;
  targets: readonly TargetKind[];
  batches: readonly number[];
  nodes: number;
  iterations: number;
  restarts: number;
  tv?: number;
  lr: number;
  seed: number;
  dp: { noiseMultiplier: number; clipNorm: number; delta: number; ledger: string };
  /**
   * federation: a real round (coordinator here, node processes over mTLS) and what the curious
   * coordinator receives; the nodes exchange no statistics and train on pixels, so the attack maps
   * its (normalised) images back to pixels for the network.
   * trainer: the site trainer in this process (the same class a node runs), faster.
   */
  source?: 'federation' | 'trainer';
  outDir: string;
  /** Grid file names start with it (the results file's stem), so two runs into one folder keep both grids. */
  gridPrefix?: string;
  log?: (line: string) => void;
}

/** The capture federation's folder, emptied: a database left from an earlier capture would resume that run instead of training. */
function freshDir(dir: string): string {
  rmSync(dir, { recursive: true, force: true });
  return dir;
}

const mean = (a: number[]): number => a.reduce((s, v) => s + v, 0) / Math.max(a.length, 1);

export async function runInversion(o: InversionExperiment): Promise<InversionRow[]> {
  const rows: InversionRow[] = [];
  const { height, width, channels, classes } = o.pool.info;
  const shape = { height, width, channels };
  const m = o.normalisation.mean;
  const s = o.normalisation.std;
  const box = { lo: m.map((mu, i) => (0 - mu) / s[i]!), hi: m.map((mu, i) => (1 - mu) / s[i]!) };
  const toUnit = (x: Float32Array): Float32Array => Float32Array.from(x, (v, i) => Math.min(1, Math.max(0, v * s[i % channels]! + m[i % channels]!)));
  const prior = Float32Array.from({ length: height * width * channels }, (_, i) => m[i % channels]!);
  for (const target of o.targets) {
    for (const batch of o.batches) {
      if (target === 'ckks') {
        rows.push({ target, batch, nodes: o.nodes, reconstructed: 0, psnrMean: NaN, psnrMax: NaN, ssimMean: NaN, mseMean: NaN, rdlvMax: NaN, psnrPrior: NaN, labelAccuracy: NaN, labelSource: '-', seconds: 0, grid: null, refused: CKKS_REFUSAL });
        continue;
      }
      const t0 = Date.now();
      const captured =
        o.source === 'federation'
          ? await captureFromFederation({ kind: target, pool: o.pool, batch, nodes: o.nodes, lr: o.lr, seed: o.seed, dp: o.dp, dir: freshDir(join(o.outDir, `federation-${target}-b${batch}`)) })
          : await captureTarget({ kind: target, pool: o.pool, batch, nodes: o.nodes, normalisation: o.normalisation, lr: o.lr, seed: o.seed, dp: o.dp });
      const n = captured.truths.length;
      const inv = invertGradient({
        weights: captured.global,
        target: captured.gradient,
        batch: n,
        shape,
        numClasses: classes.length,
        box,
        ...(o.source === 'federation' ? { inputAffine: { scale: s, shift: m } } : {}),
        iterations: o.iterations,
        restarts: o.restarts,
        ...(o.tv !== undefined ? { tv: o.tv } : {}),
        seed: o.seed + 17,
      });
      const recs = inv.images.map(toUnit);
      const sc = matchAndScore(recs, captured.truths, shape, prior);
      const labelHits = inv.labels.filter((l, i) => l === captured.labels[sc.match[i]!]).length;
      const ordered = sc.match.map((j) => captured.truths[j]!);
      const png = await imageGridPng([ordered.slice(0, 16), recs.slice(0, 16)], shape, 3);
      const file = join(o.outDir, `${o.gridPrefix ?? 'inversion'}-${target}-b${batch}-${height}px.png`);
      writeFileSync(file, png);
      const row: InversionRow = {
        target,
        batch,
        nodes: captured.nodes,
        reconstructed: n,
        psnrMean: mean(sc.psnr),
        psnrMax: Math.max(...sc.psnr),
        ssimMean: mean(sc.ssim),
        mseMean: mean(sc.mse),
        rdlvMax: Math.max(...sc.rdlv),
        psnrPrior: mean(sc.priorPsnr),
        labelAccuracy: labelHits / n,
        labelSource: inv.labelSource,
        seconds: (Date.now() - t0) / 1000,
        grid: png.toString('base64'),
        gridPng: file,
      };
      o.log?.(`inversion ${target} batch ${batch} (${n} image(s)): PSNR ${row.psnrMean.toFixed(2)} dB (max ${row.psnrMax.toFixed(2)}), SSIM ${row.ssimMean.toFixed(3)}, flat prior ${row.psnrPrior.toFixed(2)} dB, labels ${labelHits}/${n} (${inv.labelSource}), ${row.seconds.toFixed(0)} s`);
      rows.push(row);
    }
  }
  return rows;
}
