/**
 * Opens a segmentation folder and splits its cases by case (never by slice):
 * a test list (Montgomery's split files) or a seeded held-back fraction, then
 * a seeded validation fraction of the rest.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import { PrivmedError } from '../../common/errors.js';
import { Rng } from '../../common/rng.js';
import { dataRoot } from '../paths.js';
import { readCases, type ReadCaseOptions, type SegCase } from './seg-cases.js';

export interface SegmentationSplitOptions {
  /** A file listing the test images (one path or name per line), resolved like the dataset. */
  testList?: string;
  /** Held-back fraction of cases when there is no test list. */
  testFraction: number;
  valFraction: number;
  splitSeed: number;
}

/** A folder path as given, else under the data root (PRIVMED_DATA). */
export function segmentationFolder(dataset: string, root?: string): string {
  if (isAbsolute(dataset) || existsSync(dataset)) return dataset;
  const under = join(dataRoot(root), dataset);
  if (!existsSync(under)) throw new PrivmedError(`segmentation data not found: ${dataset} (nor ${under})`, { hint: 'point PRIVMED_DATA (or data.root) at the folder that holds it' });
  return under;
}

const caseName = (line: string) => basename(line.trim()).replace(/\.(nii\.gz|nii|png)$/i, '');

function shuffled(names: string[], seed: number): string[] {
  return new Rng(seed).shuffle([...names].sort());
}

export interface SegmentationSplits {
  train: SegCase[];
  val: SegCase[];
  test: SegCase[];
}

/** Which case names go to test, validation and training. */
export function splitNames(names: string[], o: SegmentationSplitOptions, testNames?: Set<string>): { train: string[]; val: string[]; test: string[] } {
  let test: string[];
  let rest: string[];
  if (testNames) {
    const unknown = [...testNames].filter((n) => !names.includes(n));
    if (unknown.length) throw new PrivmedError(`segmentation.testList names ${unknown.length} case(s) not in the data, first '${unknown[0]}'`);
    test = names.filter((n) => testNames.has(n));
    rest = shuffled(names.filter((n) => !testNames.has(n)), o.splitSeed);
  } else {
    const order = shuffled(names, o.splitSeed);
    const nTest = Math.round(names.length * o.testFraction);
    test = order.slice(0, nTest).sort();
    rest = order.slice(nTest);
  }
  const nVal = Math.max(1, Math.round(rest.length * o.valFraction));
  return { val: rest.slice(0, nVal).sort(), train: rest.slice(nVal).sort(), test };
}

export async function openSegmentation(dir: string, read: ReadCaseOptions, o: SegmentationSplitOptions, root?: string): Promise<SegmentationSplits> {
  const all = await readCases(dir, read);
  let testNames: Set<string> | undefined;
  if (o.testList) {
    const file = segmentationFolder(o.testList, root);
    testNames = new Set(readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map(caseName));
  }
  const names = splitNames(all.map((c) => c.name), o, testNames);
  const pick = (list: string[]) => list.map((n) => all.find((c) => c.name === n)!);
  const splits = { train: pick(names.train), val: pick(names.val), test: pick(names.test) };
  if (splits.train.length === 0) throw new PrivmedError(`${dir}: no training cases left after the test and validation splits`);
  return splits;
}
