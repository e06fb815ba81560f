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
   * The share for (aggregate, chunk): the stored bytes if it was made before,
   * else `make()`'s, stored before they are returned.
   */
  share(aggregateHex: string, active: readonly number[], chunks: number, chunk: number, make: () => Uint8Array): Uint8Array {
    if (!/^[0-9a-f]{64}$/.test(aggregateHex)) throw new HeError('protocol', `aggregate id must be 64 hex digits, got '${aggregateHex.slice(0, 80)}'`);
    if (!Number.isInteger(chunk) || chunk < 0 || chunk >= chunks) throw new HeError('protocol', `chunk ${chunk} outside [0, ${chunks})`);
    const known = this.state.aggregates[aggregateHex];
    const set = [...active].sort((a, b) => a - b);
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
    const path = join(this.dir, 'shares', `${aggregateHex}-${chunk}.bin`);
    if (existsSync(path)) return new Uint8Array(readFileSync(path));
    const bytes = make();
    writeFileAtomic(path, bytes);
    return bytes;
  }
}
