import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../common/atomic.js';
import { HeError } from './errors.js';

/**
 * A node's memory of what it has decrypted under its current key share:
 * one decryption share per aggregate chunk, kept on disk and resent byte for
 * byte on retry (a fresh share for the same c1 with new noise would average
 * the smudging away: Lattigo SECURITY.md, "insecurity of retries"); the
 * active set each aggregate was decrypted under (never another); and the
 * count of decryptions against the key's budget (rotate before it runs out).
 * The count is reserved on disk before a share is computed, so a crash can
 * only over-count.
 */
interface LedgerState {
  keyId: string;
  decryptions: number;
  aggregates: Record<string, { active: number[]; chunks: number }>;
}

export class ShareLedger {
  private state: LedgerState;
  private readonly file: string;

  constructor(
    private readonly dir: string,
    keyId: string,
    private readonly maxDecryptions: number,
  ) {
    mkdirSync(join(dir, 'shares'), { recursive: true });
    this.file = join(dir, 'ledger.json');
    this.state = existsSync(this.file) ? (JSON.parse(readFileSync(this.file, 'utf8')) as LedgerState) : { keyId, decryptions: 0, aggregates: {} };
    if (this.state.keyId !== keyId) {
      throw new HeError('protocol', `${this.file} belongs to key ${this.state.keyId}, not ${keyId}`, { hint: 'use a fresh ledger directory per key' });
    }
  }

  get decryptions(): number {
    return this.state.decryptions;
  }

  /**
   * The shares for every chunk of an aggregate: the stored bytes if they
   * were made before, else `make(chunk)`'s for each chunk, stored together
   * (one file, one fsync) before they are returned.
   */
  shares(aggregateHex: string, active: readonly number[], chunks: number, make: (chunk: number) => Uint8Array): Uint8Array[] {
    const path = this.open(aggregateHex, active, chunks);
    if (existsSync(path)) return unpack(new Uint8Array(readFileSync(path)), chunks, path);
    return this.store(path, Array.from({ length: chunks }, (_, c) => make(c)), chunks);
  }

  /**
   * As `shares`, with every chunk made at once off the event loop. A retry
   * that arrives while the first request is still computing gets the same
   * promise, so it can never be answered with a second, fresh share.
   */
  sharesAsync(aggregateHex: string, active: readonly number[], chunks: number, makeAll: () => Promise<Uint8Array[]>): Promise<Uint8Array[]> {
    let path: string;
    try {
      path = this.open(aggregateHex, active, chunks);
    } catch (e) {
      return Promise.reject(e);
    }
    if (existsSync(path)) return Promise.resolve(unpack(new Uint8Array(readFileSync(path)), chunks, path));
    let p = this.inFlight.get(aggregateHex);
    if (!p) {
      p = makeAll()
        .then((out) => this.store(path, out, chunks))
        .finally(() => this.inFlight.delete(aggregateHex));
      this.inFlight.set(aggregateHex, p);
    }
    return p;
  }

  private readonly inFlight = new Map<string, Promise<Uint8Array[]>>();

  /** Checks the request, reserves it on disk, and names the aggregate's share file. */
  private open(aggregateHex: string, active: readonly number[], chunks: number): string {
    if (!/^[0-9a-f]{64}$/.test(aggregateHex)) throw new HeError('protocol', `aggregate id must be 64 hex digits, got '${aggregateHex.slice(0, 80)}'`);
    if (!Number.isInteger(chunks) || chunks < 1) throw new HeError('protocol', `an aggregate has at least one chunk, got ${chunks}`);
    this.reserve(aggregateHex, [...active].sort((a, b) => a - b), chunks);
    return join(this.dir, 'shares', `${aggregateHex}.bin`);
  }

  private store(path: string, out: Uint8Array[], chunks: number): Uint8Array[] {
    if (out.length !== chunks) throw new HeError('protocol', `made ${out.length} shares for ${chunks} chunks`);
    writeFileAtomic(path, pack(out));
    return out;
  }

  /** Registers the aggregate's active set and counts its decryptions, on disk, before any share exists. */
  private reserve(aggregateHex: string, set: number[], chunks: number): void {
    const known = this.state.aggregates[aggregateHex];
    if (known === undefined) {
      if (this.state.decryptions + chunks > this.maxDecryptions) {
        throw new HeError('refused', `key ${this.state.keyId} has made ${this.state.decryptions} decryptions; ${chunks} more would pass its budget of ${this.maxDecryptions}`, {
          hint: 'rotate the collective key (new key generation) before decrypting more',
        });
      }
      this.state.aggregates[aggregateHex] = { active: set, chunks };
      this.state.decryptions += chunks;
      writeFileAtomic(this.file, JSON.stringify(this.state));
    } else if (known.active.join(',') !== set.join(',') || known.chunks !== chunks) {
      throw new HeError('refused', `aggregate ${aggregateHex.slice(0, 16)} was decrypted under active set [${known.active.join(', ')}] (${known.chunks} chunks); refusing set [${set.join(', ')}] (${chunks} chunks)`, {
        hint: 're-randomise the aggregate (a new aggregate id) to decrypt under another set',
      });
    }
  }
}

/** u32 count, u32 length per part, then the parts. */
function pack(parts: readonly Uint8Array[]): Uint8Array {
  const head = new Uint32Array(1 + parts.length);
  head[0] = parts.length;
  parts.forEach((p, i) => (head[1 + i] = p.length));
  const out = new Uint8Array(head.byteLength + parts.reduce((n, p) => n + p.length, 0));
  out.set(new Uint8Array(head.buffer));
  let at = head.byteLength;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function unpack(bytes: Uint8Array, chunks: number, path: string): Uint8Array[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4 || dv.getUint32(0, true) !== chunks) throw new HeError('protocol', `${path}: expected ${chunks} stored shares`);
  let at = 4 + 4 * chunks;
  return Array.from({ length: chunks }, (_, i) => {
    const len = dv.getUint32(4 + 4 * i, true);
    const part = bytes.slice(at, at + len);
    at += len;
    return part;
  });
}
