/**
 * The data owner's inputs for `privmed smpc infer|demo`: image files, or a
 * labelled data set (--data) read with the model's stored preprocessing. Lines
 * are predict's; with a plaintext model at hand (demo --compare) each line also
 * carries the plaintext class, and a summary counts the agreement.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { PrivmedError } from '../../common/errors.js';
import type { Dataset } from '../../data/dataset.js';
import { openClassFolders } from '../../data/image-folders.js';
import { readImage } from '../../data/images/read-image.js';
import { fileOptionsFromSpec, preprocessedDataset, preprocessImage } from '../../data/preprocess/build.js';
import type { PreprocessingSpec } from '../../data/preprocess/spec.js';
import { datasetFolder, openMedMnist } from '../../data/resolve.js';
import type { DataOwnerSession, SecureResult } from '../../secure-inference/data-owner.js';
import { printJson } from '../output.js';

export interface DataOptions {
  data?: string;
  split: string;
  limit?: string;
}

/** Probabilities of one normalised image, computed in the clear. */
export type Plaintext = (x: Float32Array) => number[];

export interface InputOptions extends DataOptions {
  json: boolean;
  strict?: boolean;
  plaintext?: Plaintext;
}

const log = (line: string): void => void process.stderr.write(line + '\n');

/** The model's probabilities as predict computes them for a file. */
export function plaintextModel(model: tfl.LayersModel): Plaintext {
  const [, h, w, c] = model.inputs[0]!.shape as number[];
  return (x) => Array.from(tf.tidy(() => tf.softmax(model.apply(tf.tensor4d(x, [1, h!, w!, c!]), { training: false }) as tf.Tensor2D).dataSync()));
}

/** A labelled data set at the data owner, preprocessed as the model was trained. */
export async function dataOwnerDataset(data: string, split: string, spec: PreprocessingSpec, classes: string[]): Promise<Dataset> {
  const folder = datasetFolder(data);
  if (folder) return preprocessedDataset(await openClassFolders(folder, split, fileOptionsFromSpec(spec), classes), spec, { train: false, seed: 0 });
  const splits = (await openMedMnist(data)).splits as unknown as Record<string, Dataset | undefined>;
  const ds = splits[split];
  if (!ds) throw new PrivmedError(`--split: ${data} has no split '${split}' (expected one of ${Object.keys(splits).join(', ')})`);
  return preprocessedDataset(ds, spec, { train: false, seed: 0 });
}

const argmax = (p: number[]): number => p.reduce((best, v, k) => (v > p[best]! ? k : best), 0);

class Printer {
  n = 0;
  correct = 0;
  labelled = 0;
  agree = 0;
  maxDiff = 0;
  constructor(
    private readonly session: DataOwnerSession,
    private readonly o: InputOptions,
  ) {}

  async run(file: string, x: Float32Array, remaining: number, total: number, label?: number): Promise<void> {
    const { session, o } = this;
    const r = await session.infer(x, remaining);
    const plain = o.plaintext?.(x);
    const p = r.probabilities;
    this.n++;
    if (label !== undefined) {
      this.labelled++;
      if (r.classIndex === label) this.correct++;
    }
    let plainClass: number | undefined;
    if (plain) {
      plainClass = argmax(plain);
      if (plainClass === r.classIndex) this.agree++;
      if (p) for (let k = 0; k < p.length; k++) this.maxDiff = Math.max(this.maxDiff, Math.abs(p[k]! - plain[k]!));
    }
    const labelName = label === undefined ? undefined : session.classes[label];
    if (o.json) {
      printJson({
        file,
        class: r.className,
        ...(p ? { probability: p[r.classIndex], probabilities: Object.fromEntries(session.classes.map((c, k) => [c, Number(p[k]!.toFixed(6))])) } : {}),
        ...(labelName === undefined ? {} : { label: labelName }),
        ...(plain ? { plaintext: { class: session.classes[plainClass!], probability: plain[plainClass!] } } : {}),
        online: { seconds: r.onlineSeconds, bytes: r.onlineBytes, rounds: r.rounds },
        dealerBytes: r.dealerBytes,
      });
    } else {
      const cols = [file, r.className, ...(p ? [p[r.classIndex]!.toFixed(4)] : [])];
      if (labelName !== undefined) cols.push(`(true: ${labelName})`);
      if (plain) cols.push(`(plaintext: ${session.classes[plainClass!]} ${plain[plainClass!]!.toFixed(4)})`);
      console.log(cols.join('\t'));
    }
    log(
      `smpc: ${this.n}/${total} images; this one ${r.onlineSeconds.toFixed(3)} s online (${r.totalSeconds.toFixed(3)} s with its material), ` +
        `${(r.onlineBytes / 1e6).toFixed(2)} MB online in ${r.rounds} rounds, ${(r.dealerBytes / 1e6).toFixed(1)} MB from the dealer`,
    );
  }

  /** The summary, when there is something to sum up (labels or a comparison). */
  summary(extra: Record<string, unknown>): void {
    if (!this.labelled && !this.o.plaintext) return;
    const s: Record<string, unknown> = { ...extra, images: this.n };
    if (this.labelled) s.accuracy = this.correct / this.labelled;
    if (this.o.plaintext) {
      s.agreeWithPlaintext = this.agree;
      s.agreement = this.agree / Math.max(1, this.n);
      if (this.session.plan.revealLogits) s.maxProbabilityDifference = this.maxDiff;
    }
    if (this.o.json) printJson(s);
    else console.log(Object.entries(s).map(([k, v]) => `${k} ${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(6) : String(v)}`).join(', '));
  }
}

/** Files or the items of --data; returns the number of files that could not be read. */
export async function inferInputs(session: DataOwnerSession, files: string[], o: InputOptions): Promise<number> {
  if (o.data && files.length) throw new PrivmedError('give image files or --data, not both');
  const printer = new Printer(session, o);
  if (!o.data) {
    if (!files.length) throw new PrivmedError('nothing to infer: give image files or --data');
    const spec = session.preprocessing;
    const readOpts = fileOptionsFromSpec(spec);
    let failed = 0;
    for (const [i, file] of files.entries()) {
      let x: Float32Array;
      try {
        x = preprocessImage(await readImage(file, readOpts), spec);
      } catch (err) {
        if (o.strict || !(err instanceof PrivmedError)) throw err;
        failed++;
        if (o.json) printJson({ file, error: err.message });
        else log(`privmed: skipped ${err.message}`);
        continue;
      }
      await printer.run(file, x, files.length - i, files.length);
    }
    printer.summary({});
    return failed;
  }
  const ds = await dataOwnerDataset(o.data, o.split, session.preprocessing, session.classes);
  const limit = o.limit === undefined ? ds.length : Number(o.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new PrivmedError(`--limit: expected a positive integer, got '${o.limit}'`);
  const n = Math.min(limit, ds.length);
  for (let i = 0; i < n; i++) {
    const sample = await ds.get(i);
    await printer.run(ds.describe?.(i) ?? `item ${i}`, sample.image, n - i, n, sample.label);
  }
  printer.summary({ data: o.data, split: o.split });
  return 0;
}
