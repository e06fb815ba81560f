/**
 * Streaming of weight payloads in chunks, and the receiving side: an
 * assembler that enforces the declared size, so that a short, long or
 * oversized stream is refused instead of being half-used.
 */
import { PrivmedError } from '../../common/errors.js';
import { checkSize } from './limits.js';

export function* chunksOf(payload: Uint8Array, chunkBytes: number): Generator<Buffer> {
  for (let offset = 0; offset < payload.byteLength; offset += chunkBytes) {
    const end = Math.min(offset + chunkBytes, payload.byteLength);
    yield Buffer.from(payload.buffer, payload.byteOffset + offset, end - offset);
  }
}

export class PayloadAssembler {
  private readonly buffer: Buffer;
  private received = 0;

  constructor(
    readonly expectedBytes: number,
    private readonly maxChunkBytes: number,
    private readonly what: string,
  ) {
    this.buffer = Buffer.alloc(expectedBytes);
  }

  push(chunk: Uint8Array): void {
    checkSize(`a data chunk of ${this.what}`, chunk.byteLength, this.maxChunkBytes, 'send chunks no larger than the agreed chunk size');
    if (this.received + chunk.byteLength > this.expectedBytes) {
      throw new PrivmedError(
        `${this.what}: received more than the ${this.expectedBytes} bytes its manifest declared`,
      );
    }
    this.buffer.set(chunk, this.received);
    this.received += chunk.byteLength;
  }

  get complete(): boolean {
    return this.received === this.expectedBytes;
  }

  get receivedBytes(): number {
    return this.received;
  }

  /** The complete payload; throws if the stream ended early. */
  finish(): Buffer {
    if (this.received !== this.expectedBytes) {
      throw new PrivmedError(
        `${this.what}: stream ended after ${this.received} of ${this.expectedBytes} bytes`,
      );
    }
    return this.buffer;
  }
}
