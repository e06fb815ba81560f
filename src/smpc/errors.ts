import { PrivmedError } from '../common/errors.js';

/**
 * What went wrong in secure inference: a malformed or oversized message from
 * a peer, material that does not fit the plan, an input outside the range the
 * model owner calibrated, or a plan that cannot be run.
 */
export type SmpcErrorCode = 'message' | 'shape' | 'range' | 'plan' | 'material';

export class SmpcError extends PrivmedError {
  constructor(readonly code: SmpcErrorCode, message: string, options: { hint?: string } = {}) {
    super(message, options);
    this.name = 'SmpcError';
  }
}
