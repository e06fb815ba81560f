import { PrivmedError } from '../common/errors.js';

/**
 * Why a secure-aggregation step refused to go on. Callers (the federation
 * round, tests) branch on `code`; the message says who and what for the user.
 */
export type SecAggErrorCode =
  | 'invalid-params' // the round parameters are unusable or unsafe
  | 'invalid-input' // the local update does not fit the round (length, weight, NaN)
  | 'below-threshold' // too few nodes or shares left to finish safely
  | 'tampered' // a relayed ciphertext failed authentication
  | 'graph-mismatch' // the coordinator's neighbour graph is not the one the seed gives
  | 'unauthenticated' // a key or signature that its node did not make (authenticated rounds)
  | 'refused' // a request would reveal more than the protocol allows
  | 'protocol' // a message out of order, duplicated, or inconsistent with the round
  | 'malformed'; // bytes that do not decode to a message

export class SecAggError extends PrivmedError {
  constructor(
    readonly code: SecAggErrorCode,
    message: string,
    options: { hint?: string; cause?: unknown } = {},
  ) {
    super(`secure aggregation: ${message}`, options);
    this.name = 'SecAggError';
  }
}
