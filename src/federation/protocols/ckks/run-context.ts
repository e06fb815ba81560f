/**
 * What every party of a CKKS run agrees on before any key exists: the run
 * id, the roster (node names, sorted: a node's position + 1 is its Shamir
 * evaluation point), the threshold and the CKKS parameters. Its digest binds
 * every signature, pairwise key and CRS of the run.
 */
import { createHash } from 'node:crypto';
import { PrivmedError } from '../../../common/errors.js';
import type { CkksParams } from '../../../he/index.js';

export interface CkksRun {
  runId: string;
  roster: readonly string[];
  threshold: number;
  params: CkksParams;
}

export function checkRun(run: CkksRun): void {
  const sorted = [...run.roster].sort();
  if (sorted.some((n, i) => n !== run.roster[i] || (i > 0 && n === sorted[i - 1]))) {
    throw new PrivmedError(`ckks: the roster must be sorted and without repeats, got [${run.roster.join(', ')}]`);
  }
  if (run.roster.length < 2) throw new PrivmedError(`ckks: needs at least 2 nodes, the roster has ${run.roster.length}`);
  if (!Number.isInteger(run.threshold) || run.threshold < 1 || run.threshold > run.roster.length) {
    throw new PrivmedError(`ckks: threshold ${run.threshold} must be in [1, ${run.roster.length}]`);
  }
}

export function runDigest(run: CkksRun): Uint8Array {
  return new Uint8Array(createHash('sha256').update(publicContext(run)).digest());
}

/** The string the CRS seed is derived from (src/he/keygen.ts crsSeed). */
export function publicContext(run: CkksRun): string {
  return JSON.stringify({ v: 1, run: run.runId, roster: run.roster, t: run.threshold, params: run.params });
}

export function holderId(run: CkksRun, node: string): number {
  const at = run.roster.indexOf(node);
  if (at < 0) throw new PrivmedError(`ckks: '${node}' is not on the run's roster`);
  return at + 1;
}

/** The id of an aggregate: round id and re-randomisation count, so a new active set never reuses one. */
export function aggregateId(run: CkksRun, round: number, attempt: number, rerandomised: number): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`privmed/ckks/aggregate/v1\0${runDigestHex(run)}\0${round}\0${attempt}\0${rerandomised}`).digest());
}

export function roundId(run: CkksRun, round: number, attempt: number): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`privmed/ckks/round/v1\0${runDigestHex(run)}\0${round}\0${attempt}`).digest());
}

function runDigestHex(run: CkksRun): string {
  return Buffer.from(runDigest(run)).toString('hex');
}
