import { PrivmedError } from '../common/errors.js';

/**
 * Why a cryptographic building block refused its input. Protocols built on
 * crypto/ branch on `code` and report in their own terms (who sent what).
 */
export type CryptoErrorCode =
  | 'invalid-argument' // parameters a correct caller never passes (duplicate holders, secret out of range)
  | 'below-threshold' // too few holders or shares
  | 'malformed' // bytes of the wrong length or out of range
  | 'invalid-key' // a public key the curve refuses
  | 'low-order-key' // a public key that gives an all-zero shared secret
  | 'tampered'; // a ciphertext that fails authentication

export class CryptoError extends PrivmedError {
  constructor(
    readonly code: CryptoErrorCode,
    message: string,
    options: { hint?: string; cause?: unknown } = {},
  ) {
    super(message, options);
    this.name = 'CryptoError';
  }
}
