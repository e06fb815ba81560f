/**
 * One encryption thread of EncryptPool: loads the run's collective public
 * key once, then encrypts the chunk ranges it is sent. It holds no secret:
 * only the public key and the node's own (already weighted) update.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { DEFAULT_CKKS_PARAMS, collectiveEncryptor, createHeContext, encryptChunks, loadCollectivePublicKey } from '../../../he/index.js';

export interface EncryptJob {
  id: number;
  values: Float32Array;
  chunk: number;
  what: string;
}

const { publicKey, seed } = workerData as { publicKey: Uint8Array; seed: Uint8Array };
const he = await createHeContext(DEFAULT_CKKS_PARAMS);
const enc = collectiveEncryptor(he, loadCollectivePublicKey(he, publicKey, seed));
parentPort!.on('message', (job: EncryptJob) => {
  try {
    const chunks = [];
    for (let at = 0; at < job.values.length; at += job.chunk) chunks.push(job.values.subarray(at, Math.min(job.values.length, at + job.chunk)));
    // Eight at a time: encoding every plaintext first would hold them all on SEAL's heap.
    const out: Uint8Array[] = [];
    for (let i = 0; i < chunks.length; i += 8) out.push(...encryptChunks(he, enc, chunks.slice(i, i + 8), job.what));
    parentPort!.postMessage({ id: job.id, out }, out.map((b) => b.buffer as ArrayBuffer));
  } catch (e) {
    parentPort!.postMessage({ id: job.id, error: e instanceof Error ? e.message : String(e) });
  }
});
parentPort!.postMessage({ ready: true });
