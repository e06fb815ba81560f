/**
 * A worker thread of the coordinator's mask pool (mask-pool.ts): removes every
 * mask of a job from one range of the shared sum, then counts itself done.
 */
import { parentPort } from 'node:worker_threads';
import { applyMasksRange } from '../../../crypto/prg.js';

export interface RangeJob {
  sum: SharedArrayBuffer;
  done: SharedArrayBuffer;
  from: number;
  to: number;
  masks: { key: Uint8Array; sign: 1 | -1 }[];
}

const port = parentPort!;
port.on('message', (job: RangeJob) => {
  const done = new Int32Array(job.done);
  try {
    const sum = new Uint32Array(job.sum);
    applyMasksRange(sum, job.masks, job.from, job.to);
  } catch (e) {
    port.postMessage({ error: (e as Error).message });
    Atomics.store(done, 1, 1); // failed: the caller must not use the sum
  } finally {
    Atomics.add(done, 0, 1);
    Atomics.notify(done, 0);
  }
});
port.postMessage({ ready: true });
