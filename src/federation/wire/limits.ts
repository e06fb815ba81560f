/**
 * Size limits of the wire. gRPC enforces the per-message limit itself
 * (max_receive_message_length); we also check sizes explicitly, before
 * sending and on receipt, so that the error says which limit and how to raise it.
 */
import { PrivmedError } from '../../common/errors.js';

export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
export const DEFAULT_CHUNK_BYTES = 1024 * 1024;
export const DEFAULT_MAX_UPDATE_BYTES = 1024 * 1024 * 1024;

/** Room for the non-data fields of a chunk message (field tags, lengths). */
export const CHUNK_OVERHEAD_BYTES = 64;

export interface WireLimits {
  /** Largest single gRPC message, either direction. */
  maxMessageBytes: number;
  /** Size of the data slices that weights are streamed in. */
  chunkBytes: number;
  /** Largest weight payload of one transfer. */
  maxUpdateBytes: number;
}

export function checkLimits(limits: WireLimits): void {
  if (limits.chunkBytes + CHUNK_OVERHEAD_BYTES > limits.maxMessageBytes) {
    throw new PrivmedError(
      `chunk size ${limits.chunkBytes} bytes does not fit into the message limit of ${limits.maxMessageBytes} bytes`,
      { hint: 'lower chunkBytes or raise maxMessageBytes' },
    );
  }
}

export class MessageTooLargeError extends PrivmedError {
  constructor(what: string, bytes: number, limit: number, hint: string) {
    super(`${what} is ${bytes} bytes, over the limit of ${limit} bytes`, { hint });
    this.name = 'MessageTooLargeError';
  }
}

export function checkSize(what: string, bytes: number, limit: number, hint: string): void {
  if (bytes > limit) throw new MessageTooLargeError(what, bytes, limit, hint);
}
