/**
 * A saved segmentation model applied to files: `privmed evaluate` on a folder
 * laid out like the training data (images/ and labels/), and `privmed
 * predict` writing one mask per image in the input's format (NIfTI on the
 * input's grid with its header and affine; PNG for PNG).
 */
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { PrivmedError } from '../common/errors.js';
import { openSegmentation } from '../data/segmentation/open-segmentation.js';
import { readCase, readCases, toNiftiOrder, type SegCase } from '../data/segmentation/seg-cases.js';
import { writeNiftiMask, writePngMask } from '../data/segmentation/write-mask.js';
import type { CaseScores, SegmentationMetrics } from '../metrics/segmentation.js';
import type { LoadedModel, SegmentationMeta } from '../models/io.js';
import { evaluateSegmentation, predictCases } from '../training/segmentation-task.js';
import { SegmentationSchema } from './segmentation-config.js';
import { allSlices } from './run-segmentation.js';

function segMeta(m: LoadedModel, dir: string): SegmentationMeta {
  if (!m.meta.segmentation) throw new PrivmedError(`${dir}: not a segmentation model (privmed.json has no segmentation section)`);
  return m.meta.segmentation;
}

const readOptions = (meta: SegmentationMeta, k: number) => ({ numClasses: k, axis: meta.axis, ...(meta.binaryThreshold !== undefined ? { binaryThreshold: meta.binaryThreshold } : {}) });

export interface FolderEvaluation extends SegmentationMetrics {
  classes: string[];
  perCase: ({ name: string } & CaseScores)[];
}

export type CaseSelection = 'all' | 'train' | 'val' | 'test';

/**
 * Dice, IoU and HD95 per foreground class over the cases of FOLDER (images/
 * and labels/): every case, or the model's own training, validation or
 * held-back cases (the split settings stored with the model, applied to the
 * folder's case names).
 */
export async function evaluateSegmentationFolder(loaded: LoadedModel, modelDir: string, folder: string, which: CaseSelection = 'all'): Promise<FolderEvaluation> {
  const meta = segMeta(loaded, modelDir);
  const classes = loaded.meta.classes;
  let cases: SegCase[];
  if (which === 'all') cases = await readCases(folder, readOptions(meta, classes.length));
  else {
    const stored = (loaded.meta.config as { segmentation?: unknown; data?: { root?: string } } | undefined) ?? {};
    const seg = SegmentationSchema.parse(stored.segmentation ?? {});
    const splits = await openSegmentation(
      folder,
      readOptions(meta, classes.length),
      { ...(seg.testList ? { testList: seg.testList } : {}), testFraction: seg.testFraction, valFraction: seg.valFraction, splitSeed: seg.splitSeed },
      stored.data?.root,
    );
    cases = splits[which];
    if (cases.length === 0) throw new PrivmedError(`${folder}: the model's split leaves no ${which} cases`);
  }
  const { cases: scores, ...m } = await evaluateSegmentation(loaded.model, allSlices(cases, meta, classes), { numClasses: classes.length, loss: meta.loss, hd95: true });
  return { ...m, classes, perCase: scores.map((s, i) => ({ name: cases[i]!.name, ...s })) };
}

/** Image files to segment: the files given, or FOLDER/images/ (else FOLDER's own .nii/.nii.gz/.png files). */
export function imageFiles(inputs: string[]): string[] {
  const out: string[] = [];
  for (const p of inputs) {
    if (!existsSync(p)) throw new PrivmedError(`${p}: no such file or folder`);
    if (statSync(p).isDirectory()) {
      const dir = existsSync(join(p, 'images')) ? join(p, 'images') : p;
      out.push(...readdirSync(dir).filter((f) => /\.(nii\.gz|nii|png)$/i.test(f)).sort().map((f) => join(dir, f)));
    } else out.push(p);
  }
  if (!out.length) throw new PrivmedError(`no .nii, .nii.gz or .png images in ${inputs.join(', ')}`);
  return out;
}

/** The class of every voxel of one case, on the case's own grid, slices first (sliding windows when a slice exceeds the patch). */
export async function segmentCase(loaded: LoadedModel, meta: SegmentationMeta, c: SegCase): Promise<Int32Array> {
  for await (const { pred } of predictCases(loaded.model, allSlices([c], meta, loaded.meta.classes), { numClasses: loaded.meta.classes.length, batchSize: 16 })) return pred;
  throw new PrivmedError(`${c.imagePath}: no slices to segment`);
}

/** Writes OUT/<name>.nii.gz or OUT/<name>.png for each image; returns the files written. */
export async function predictSegmentationFiles(loaded: LoadedModel, modelDir: string, inputs: string[], outDir: string): Promise<string[]> {
  const meta = segMeta(loaded, modelDir);
  mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  for (const file of imageFiles(inputs)) {
    const name = basename(file).replace(/\.(nii\.gz|nii|png)$/i, '');
    const c = await readCase({ name, image: file }, readOptions(meta, loaded.meta.classes.length));
    const labels = await segmentCase(loaded, meta, c);
    if (c.nifti) {
      const path = join(outDir, `${name}.nii.gz`);
      writeNiftiMask(path, file, toNiftiOrder(labels, c.nifti.dims, c.nifti.axis));
      written.push(path);
    } else {
      const path = join(outDir, `${name}.png`);
      await writePngMask(path, labels, c.height, c.width, meta.binaryThreshold !== undefined ? 255 : 1);
      written.push(path);
    }
  }
  return written;
}
