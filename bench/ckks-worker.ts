/**
 * One encryption worker of bench/ckks.ts: loads the collective key once,
 * then encrypts the chunk ranges it is sent (a node keeps such workers warm
 * across rounds). Float32 values arrive in a SharedArrayBuffer.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { DEFAULT_CKKS_PARAMS, collectiveEncryptor, createHeContext, encryptChunks, loadCollectivePublicKey } from '../src/he/index.js';

const { publicKeyBytes, seed } = workerData as { publicKeyBytes: Uint8Array; seed: Uint8Array };
const he = await createHeContext(DEFAULT_CKKS_PARAMS);
const enc = collectiveEncryptor(he, loadCollectivePublicKey(he, publicKeyBytes, seed));
parentPort!.on('message', (m: { values: SharedArrayBuffer; from: number; to: number; chunk: number }) => {
  const values = new Float32Array(m.values);
  const chunks = [];
  for (let c = m.from; c < m.to; c++) chunks.push(values.subarray(c * m.chunk, Math.min(values.length, (c + 1) * m.chunk)));
  let bytes = 0;
  for (let i = 0; i < chunks.length; i += 8) for (const ct of encryptChunks(he, enc, chunks.slice(i, i + 8), 'bench update')) bytes += ct.length;
  parentPort!.postMessage({ bytes });
});
parentPort!.postMessage({ ready: true });
