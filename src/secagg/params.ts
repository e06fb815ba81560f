import { SecAggError } from './errors.js';
import type { SecAggParams } from './messages.js';

export const MAX_NODE_ID = 0xffffffff;
/** 2^26 coordinates = 256 MiB per ring vector; larger updates should be split into chunks. */
export const MAX_VECTOR_LENGTH = 1 << 26;
const MAX_ROUND_ID_LENGTH = 256;

/**
 * The smallest threshold allowed for `holders` share holders: a strict
 * majority. Each honest holder reveals at most one of a node's two secrets,
 * so with t > holders/2 nobody can collect t shares of both, even a
 * coordinator that tells different holders different stories.
 */
export function minimumThreshold(holders: number): number {
  return Math.floor(holders / 2) + 1;
}

/** Share holders of each node (itself and its neighbours) when all invited nodes take part. */
export function shareHolders(params: Pick<SecAggParams, 'nodeIds' | 'degree'>): number {
  return Math.min(params.degree, params.nodeIds.length - 1) + 1;
}

/** Throws `invalid-params` naming the first unusable or unsafe parameter. */
export function validateParams(params: SecAggParams): void {
  const fail = (what: string): never => {
    throw new SecAggError('invalid-params', what);
  };
  if (typeof params.roundId !== 'string' || params.roundId.length === 0 || params.roundId.length > MAX_ROUND_ID_LENGTH) {
    fail(`roundId must be a non-empty string of at most ${MAX_ROUND_ID_LENGTH} characters`);
  }
  const n = params.nodeIds.length;
  if (n < 2) fail(`at least 2 nodes are needed, got ${n}`);
  const seen = new Set<number>();
  for (const id of params.nodeIds) {
    if (!Number.isInteger(id) || id < 1 || id > MAX_NODE_ID) fail(`node id ${id} is not an integer in [1, 2^32-1]`);
    if (seen.has(id)) fail(`node id ${id} is listed twice`);
    seen.add(id);
  }
  const { degree, threshold } = params;
  if (!Number.isInteger(degree) || degree < 1) fail(`degree must be a positive integer, got ${degree}`);
  if (degree < n - 1 && degree % 2 !== 0) fail(`a sparse neighbour graph needs an even degree, got ${degree} for ${n} nodes`);
  const holders = shareHolders(params);
  if (!Number.isInteger(threshold) || threshold > holders) {
    fail(`threshold ${threshold} exceeds the ${holders} share holders of a node (degree ${degree} + itself)`);
  }
  if (threshold < minimumThreshold(holders)) {
    fail(`threshold ${threshold} is not a majority of the ${holders} share holders; need at least ${minimumThreshold(holders)}`);
  }
  if (!Number.isInteger(params.vectorLength) || params.vectorLength < 1 || params.vectorLength > MAX_VECTOR_LENGTH) {
    fail(`vectorLength must be an integer in [1, ${MAX_VECTOR_LENGTH}], got ${params.vectorLength}`);
  }
  if (!(Number.isFinite(params.clip) && params.clip > 0)) fail(`clip must be a positive finite number, got ${params.clip}`);
  if (!(Number.isFinite(params.maxWeight) && params.maxWeight > 0)) {
    fail(`maxWeight must be a positive finite number, got ${params.maxWeight}`);
  }
}
