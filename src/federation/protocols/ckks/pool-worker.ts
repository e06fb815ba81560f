/**
 * One thread of CkksPool: loads the run's collective public key once, then
 * encrypts chunk ranges of the node's update, or makes the decryption shares
 * for a range of an aggregate's chunks. It runs inside the node's process
 * with the node's own key share: nothing leaves the node that the
 * single-threaded path would not send.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { systemRandom } from '../../../crypto/random.js';
import { DEFAULT_CKKS_PARAMS, collectiveEncryptor, createHeContext, decryptionShare, encryptChunks, loadCollectivePublicKey, partialKey } from '../../../he/index.js';

export interface EncryptJob {
  kind: 'encrypt';
  id: number;
  values: Float32Array;
  chunk: number;
  what: string;
}

export interface ShareJob {
  kind: 'share';
  id: number;
  keyShare: Uint32Array;
  holder: number;
  active: number[];
  consortiumKey: Uint8Array;
  aggregateId: Uint8Array;
  /** The index of c1s[0] among the aggregate's chunks (the pads depend on it). */
  firstChunk: number;
  c1s: Uint32Array[];
}

const { publicKey, seed } = workerData as { publicKey: Uint8Array; seed: Uint8Array };
const he = await createHeContext(DEFAULT_CKKS_PARAMS);
const enc = collectiveEncryptor(he, loadCollectivePublicKey(he, publicKey, seed));

function encrypt(job: EncryptJob): Uint8Array[] {
  const chunks = [];
  for (let at = 0; at < job.values.length; at += job.chunk) chunks.push(job.values.subarray(at, Math.min(job.values.length, at + job.chunk)));
  // Eight at a time: encoding every plaintext first would hold them all on SEAL's heap.
  const out: Uint8Array[] = [];
  for (let i = 0; i < chunks.length; i += 8) out.push(...encryptChunks(he, enc, chunks.slice(i, i + 8), job.what));
  return out;
}

function share(job: ShareJob): Uint32Array[] {
  const key = partialKey(he, job.keyShare, job.holder, job.active);
  try {
    const pad = { consortiumKey: job.consortiumKey, aggregateId: job.aggregateId, active: job.active, holder: job.holder };
    return job.c1s.map((c1, k) => decryptionShare(he, key, c1, { ...pad, chunk: job.firstChunk + k }, systemRandom));
  } finally {
    key.delete();
  }
}

parentPort!.on('message', (job: EncryptJob | ShareJob) => {
  try {
    const out = job.kind === 'encrypt' ? encrypt(job) : share(job);
    parentPort!.postMessage({ id: job.id, out }, out.map((b) => b.buffer as ArrayBuffer));
  } catch (e) {
    parentPort!.postMessage({ id: job.id, error: e instanceof Error ? e.message : String(e) });
  }
});
parentPort!.postMessage({ ready: true });
