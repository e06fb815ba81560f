/** The coordinator-side check that every protocol puts on its tasks' replies. */
import { PrivmedError } from '../../common/errors.js';
import { refusalOf } from '../wire/refusal.js';
import type { NodeReply } from '../wire/task.js';

/**
 * A TaskSpec.check: a refusal, or a PrivmedError thrown by `accept` (the
 * protocol's own reading of the reply), becomes the reason the reply is refused.
 */
export function acceptReply(accept: (reply: NodeReply) => void): (reply: NodeReply) => string | null {
  return (reply) => {
    const refusal = refusalOf(reply.payload);
    if (refusal !== null) return refusal;
    try {
      accept(reply);
      return null;
    } catch (e) {
      if (e instanceof PrivmedError) return e.message;
      throw e;
    }
  };
}
