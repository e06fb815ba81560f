import { PrivmedError } from '../common/errors.js';

/**
 * Why a CKKS step refused. Callers branch on `code`; the message names the
 * party (node id) or object and says what was expected and what came.
 */
export type HeErrorCode =
  | 'invalid-params' // parameters below the security or precision the scheme needs
  | 'invalid-input' // a local update the encoder cannot carry (NaN, out of range, too long)
  | 'malformed' // bytes that are not the expected SEAL object or frame
  | 'replayed' // a frame bound to another run, round, aggregate, chunk or node
  | 'below-threshold' // too few key shares to decrypt
  | 'refused' // a request that would leak (second decryption under another set, key worn out)
  | 'protocol'; // messages out of order or inconsistent

export class HeError extends PrivmedError {
  constructor(
    readonly code: HeErrorCode,
    message: string,
    options: { hint?: string; cause?: unknown } = {},
  ) {
    super(`ckks: ${message}`, options);
    this.name = 'HeError';
  }
}
