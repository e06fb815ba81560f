/**
 * Worker threads that remove a SecAgg round's masks at the coordinator. With
 * n nodes and an 11M-parameter update the coordinator expands n self masks of
 * 44 MB each (AES-CTR) and subtracts them: serial, the longest part of a round
 * at n = 50 (about 40-57 ms a mask). Each mask is a seekable keystream, so the
 * vector is cut into one contiguous range per thread and every thread removes
 * every mask from its range of a shared copy of the sum. src/secagg stays
 * pure: it lists the masks (unmask-jobs.ts), this runs them.
 */
import { Worker } from 'node:worker_threads';
import { PrivmedError } from '../../../common/errors.js';
import { MASK_BLOCK_ELEMENTS } from '../../../crypto/prg.js';
import { removeMasksHere, type MaskJob } from '../../../secagg/index.js';
import { workerThreads } from '../ckks/worker-pool.js';
import type { RangeJob } from './mask-worker.js';

// Node 20 has Atomics.waitAsync; the TypeScript lib in use does not declare it yet.
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number): { value: Promise<string> | string } }).waitAsync;

/** Below this many mask elements (vector length x masks) threads cost more than they save. */
export const POOL_MIN_WORK = 1 << 24;

export class MaskPool {
  private workers: Promise<Worker[]> | null = null;
  private readonly errors: string[] = [];

  constructor(
    private readonly threads = workerThreads(),
    private readonly minWork = POOL_MIN_WORK,
  ) {}

  /** Starts the threads (once); a round that needs them waits for this. */
  start(): Promise<Worker[]> {
    // Built, the worker is a .js sibling; under tsx (tests) a worker thread registers tsx's loader first.
    const ts = import.meta.url.endsWith('.ts');
    const url = new URL(`./mask-worker${ts ? '.ts' : '.js'}`, import.meta.url);
    const entry = ts ? `import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(url.href)}); })` : url;
    this.workers ??= Promise.all(
      Array.from({ length: Math.max(1, this.threads) }, () =>
        new Promise<Worker>((resolve, reject) => {
          const w = new Worker(entry, { eval: typeof entry === 'string' });
          w.on('message', (m: { ready?: boolean; error?: string }) => {
            if (m.ready) {
              // Idle, a thread must not keep the process alive (unref before this listener was added did not last).
              w.unref();
              resolve(w);
            }
            if (m.error) this.errors.push(m.error);
          });
          w.on('error', reject);
        }),
      ),
    );
    return this.workers;
  }

  /** Removes the masks without blocking this thread (the coordinator's event loop keeps serving nodes). */
  async remove(acc: Uint32Array, jobs: readonly MaskJob[]): Promise<void> {
    if (acc.length * jobs.length < this.minWork) return removeMasksHere(acc, jobs);
    const run = this.post(await this.start(), acc, jobs);
    while (Atomics.load(run.done, 0) < run.parts) {
      const seen = Atomics.load(run.done, 0);
      if (seen < run.parts) await waitAsync(run.done, 0, seen).value;
    }
    run.finish();
  }

  /** The same, blocking (for synchronous callers such as the round driver); start() must have settled. */
  removeSync = (acc: Uint32Array, jobs: readonly MaskJob[], started: Worker[]): void => {
    if (acc.length * jobs.length < this.minWork) return removeMasksHere(acc, jobs);
    const run = this.post(started, acc, jobs);
    for (let seen = 0; (seen = Atomics.load(run.done, 0)) < run.parts; ) Atomics.wait(run.done, 0, seen);
    run.finish();
  };

  private post(workers: Worker[], acc: Uint32Array, jobs: readonly MaskJob[]) {
    const shared = new SharedArrayBuffer(acc.byteLength);
    new Uint32Array(shared).set(acc);
    const doneBuffer = new SharedArrayBuffer(8); // [finished parts, failed]
    const done = new Int32Array(doneBuffer);
    // Contiguous ranges, each starting on an AES block of the keystream.
    const per = Math.ceil(acc.length / workers.length / MASK_BLOCK_ELEMENTS) * MASK_BLOCK_ELEMENTS;
    let parts = 0;
    for (let k = 0; k < workers.length; k++) {
      const from = k * per;
      const to = Math.min(acc.length, from + per);
      if (from >= to) break;
      const job: RangeJob = { sum: shared, done: doneBuffer, from, to, masks: jobs.map((j) => ({ key: j.key, sign: j.sign })) };
      workers[k]!.ref(); // busy: the process waits for it
      workers[k]!.postMessage(job);
      parts++;
    }
    return {
      done,
      parts,
      finish: () => {
        for (const w of workers) w.unref();
        if (Atomics.load(done, 1) !== 0) throw new PrivmedError(`secagg: a mask worker thread failed: ${this.errors.join('; ')}`);
        acc.set(new Uint32Array(shared));
      },
    };
  }
}
