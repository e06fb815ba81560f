/**
 * Worker threads of one node that encrypt its upload and make its decryption
 * shares in parallel (issue #12: an 11.2M-parameter update is 1,368
 * ciphertexts, about 8 s of encryption and 4 s of shares on one core), and
 * keep the node's event loop free for heartbeats meanwhile. They start at the
 * first large upload and stay warm across rounds (unref'd: they never keep a
 * node alive).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { PrivmedError } from '../../../common/errors.js';
import type { EncryptJob, ShareJob } from './pool-worker.js';

/** Below this many chunks, starting threads (each loads SEAL) costs more than it saves. */
export const POOL_MIN_CHUNKS = 64;

export function workerThreads(): number {
  const env = Number(process.env.PRIVMED_THREADS);
  return Number.isInteger(env) && env > 0 ? env : availableParallelism();
}

type Reply = { id: number; out?: (Uint8Array | Uint32Array)[]; error?: string; ready?: boolean };

export class CkksPool {
  private readonly workers: Promise<Worker>[];
  private next = 1;
  private readonly pending = new Map<number, { resolve: (b: (Uint8Array | Uint32Array)[]) => void; reject: (e: Error) => void }>();

  constructor(publicKey: Uint8Array, seed: Uint8Array, threads = workerThreads()) {
    // Built, the worker is a .js sibling. Under tsx (tests) it is .ts, and a
    // worker thread does not inherit tsx's loader: it registers it first.
    const ts = import.meta.url.endsWith('.ts');
    const url = new URL(`./pool-worker${ts ? '.ts' : '.js'}`, import.meta.url);
    const entry = ts ? `import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(url.href)}); })` : url;
    this.workers = Array.from({ length: Math.max(1, threads) }, () => this.start(entry, publicKey, seed));
  }

  private start(entry: URL | string, publicKey: Uint8Array, seed: Uint8Array): Promise<Worker> {
    return new Promise((resolve, reject) => {
      const w = new Worker(entry, { workerData: { publicKey, seed }, eval: typeof entry === 'string' });
      w.unref();
      w.on('message', (m: Reply) => {
        if (m.ready) return resolve(w);
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.error !== undefined) p.reject(new PrivmedError(`ckks: worker thread failed: ${m.error}`));
        else p.resolve(m.out!);
      });
      w.on('error', (e) => {
        reject(e);
        for (const p of this.pending.values()) p.reject(new PrivmedError(`ckks: worker thread died: ${e.message}`));
        this.pending.clear();
      });
    });
  }

  /** `values` in chunks of `chunk`, spread over the threads in contiguous ranges; ciphertexts in order. */
  async encrypt(values: Float32Array, chunk: number, what: string): Promise<Uint8Array[]> {
    const out = await this.spread(Math.ceil(values.length / chunk), (id, from, to) => {
      const job: EncryptJob = { kind: 'encrypt', id, values: values.slice(from * chunk, Math.min(values.length, to * chunk)), chunk, what };
      return [job, [job.values.buffer as ArrayBuffer]];
    });
    return out as Uint8Array[];
  }

  /** The decryption shares (words) of every chunk of an aggregate, in order. */
  async shares(job: Omit<ShareJob, 'kind' | 'id' | 'firstChunk' | 'c1s'>, c1s: readonly Uint32Array[]): Promise<Uint32Array[]> {
    const out = await this.spread(c1s.length, (id, from, to) => [{ ...job, kind: 'share', id, firstChunk: from, c1s: c1s.slice(from, to) } satisfies ShareJob, []]);
    return out as Uint32Array[];
  }

  /** Items [0, count) in one contiguous range per thread; results concatenated in order. */
  private async spread(count: number, make: (id: number, from: number, to: number) => [EncryptJob | ShareJob, ArrayBuffer[]]): Promise<(Uint8Array | Uint32Array)[]> {
    const per = Math.ceil(count / this.workers.length);
    const parts = await Promise.all(
      this.workers.map(async (worker, k) => {
        const from = k * per;
        const to = Math.min(count, from + per);
        if (from >= to) return [];
        const w = await worker;
        const id = this.next++;
        return new Promise<(Uint8Array | Uint32Array)[]>((resolve, reject) => {
          this.pending.set(id, { resolve, reject });
          const [job, transfer] = make(id, from, to);
          w.postMessage(job, transfer);
        });
      }),
    );
    return parts.flat();
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map(async (w) => (await w.catch(() => null))?.terminate()));
  }
}
