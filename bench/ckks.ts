/**
 * CKKS with a threshold key (src/he) against plain float32 FedAvg in the same
 * run: per node per round encrypt time, bytes up and down per parameter and
 * their ratio to plain, coordinator time (adding the uploads, combining the
 * shares), decryption-share time and decode time, for 0.3M and 11.2M
 * parameters and n = 3, 10 (t = ceil(2n/3)). In process, no network.
 *
 * The 11.2M encryption runs in full on the node's encryption threads
 * (CkksPool, one per core); the
 * other per-chunk costs are measured on SAMPLE chunks and scaled to the
 * model's chunk count (every chunk is the same work), which the metric's note
 * says. `quick` keeps to 0.3M.
 */
import { availableParallelism } from 'node:os';
import { createHash } from 'node:crypto';
import { systemRandom } from '../src/crypto/random.js';
import {
  CiphertextSum,
  DEFAULT_CKKS_PARAMS,
  collectiveEncryptor,
  combineShares,
  createHeContext,
  decryptionShare,
  defaultThreshold,
  encryptChunks,
  frame,
  inProcessCommittee,
  loadCollectivePublicKey,
  openCombinedChunks,
  parseCiphertext,
  partialKey,
  smudgedShares,
  padPoly,
  wordsPayload,
} from '../src/he/index.js';
import { addInto } from '../src/he/rns.js';
import { CkksPool } from '../src/federation/protocols/ckks/worker-pool.js';
import type { Report } from './harness.js';

const SIZES = [
  { label: '0.3M', length: 300_000 },
  { label: '11.2M', length: 11_200_000 },
];
const NODE_COUNTS = [3, 10];
const SAMPLE = 24;
const ID = createHash('sha256').update('bench/ckks').digest();

export async function benchCkks(report: Report, opts: { quick?: boolean } = {}): Promise<void> {
  const he = await createHeContext(DEFAULT_CKKS_PARAMS);
  const n = he.params.polyModulusDegree;
  for (const { label, length } of opts.quick ? SIZES.slice(0, 1) : SIZES) {
    const chunks = Math.ceil(length / n);
    const sampled = Math.min(chunks, SAMPLE);
    const scaleUp = chunks / sampled;
    const note = sampled < chunks ? `measured on ${sampled} of ${chunks} chunks, scaled` : undefined;
    const update = new Float32Array(new SharedArrayBuffer(4 * length));
    for (let i = 0; i < length; i++) update[i] = (Math.sin(i) * 1e-3) / 3; // a pre-weighted update
    const plainValues = Array.from({ length: sampled }, (_, c) => update.subarray(c * n, (c + 1) * n));
    for (const nodes of NODE_COUNTS) {
      const prefix = `ckks.n${nodes}.d${label}`;
      const t = defaultThreshold(nodes);
      const committee = inProcessCommittee(he, nodes, t, `bench/${label}/${nodes}`, systemRandom);
      const enc = collectiveEncryptor(he, loadCollectivePublicKey(he, committee.publicKeyBytes, committee.seed));

      // node: encrypt (full on workers for the large model, else in this thread)
      let encryptMs: number;
      let encryptNote: string | undefined;
      let t0 = performance.now();
      const uploads = encryptChunks(he, enc, plainValues, 'bench update');
      const sampleEncryptMs = performance.now() - t0;
      if (length > 1_000_000) {
        const workers = availableParallelism();
        encryptMs = await encryptOnWorkers(committee.publicKeyBytes, committee.seed, update, n, workers);
        encryptNote = `all ${chunks} chunks on ${workers} worker threads`;
      } else {
        encryptMs = sampleEncryptMs * scaleUp;
        encryptNote = note;
      }
      const uploadBytes = uploads.reduce((s, u) => s + frame('upload', { node: 1, chunk: 0, id: ID }, u).length, 0) * scaleUp;

      // coordinator: add n uploads per chunk (validated), then c1 goes down
      const sums: Uint8Array[] = [];
      t0 = performance.now();
      for (const u of uploads) {
        const sum = new CiphertextSum(he);
        for (let k = 1; k <= nodes; k++) sum.add(u, `node ${k}`);
        sums.push(sum.bytes());
        sum.dispose();
      }
      const addMs = (performance.now() - t0) * scaleUp;
      const plainAddMs = plainSum(update, nodes);
      const words = 2 * n * he.data.q.length;
      const aggs = sums.map((b) => parseCiphertext(b, { what: 'aggregate', basis: he.data, parmsId: he.dataParmsId }).words);
      const c1s = aggs.map((w) => w.slice(words));
      const wordFrame = (w: Uint32Array) => frame('share', { node: 1, chunk: 0, id: ID }, wordsPayload(w)).length;
      const c1Bytes = c1s.reduce((s, c) => s + wordFrame(c), 0) * scaleUp;

      // node: its share for the active set T (the first t nodes)
      const active = committee.ids.slice(0, t);
      let own: Uint32Array[];
      let shareNote = note;
      let shareMs: number;
      if (length > 1_000_000) {
        // as the node does for >= 64 chunks: on its worker threads
        const threads = availableParallelism();
        const pool = new CkksPool(committee.publicKeyBytes, committee.seed, threads);
        const job = { keyShare: committee.keyShares.get(1)!, holder: 1, active, consortiumKey: committee.consortiumKey, aggregateId: ID };
        await pool.shares(job, c1s.slice(0, threads)); // warm-up
        // every chunk of the model, the sampled c1s reused (the work does not depend on their values)
        const all = Array.from({ length: chunks }, (_, k) => c1s[k % sampled]!);
        t0 = performance.now();
        own = (await pool.shares(job, all)).slice(0, sampled);
        shareMs = performance.now() - t0;
        shareNote = `all ${chunks} chunks on ${threads} worker threads`;
        await pool.close();
      } else {
        t0 = performance.now();
        const key = partialKey(he, committee.keyShares.get(1)!, 1, active);
        own = smudgedShares(he, key, c1s, systemRandom);
        own.forEach((s, c) => addInto(he.data, s, padPoly(he, committee.consortiumKey, ID, active, 1, c)));
        shareMs = (performance.now() - t0) * scaleUp;
      }
      const shareBytes = own.reduce((s, w) => s + wordFrame(w), 0) * scaleUp;
      // the other active nodes' shares, for the coordinator to combine
      const others = active.slice(1).map((h) => {
        const k = partialKey(he, committee.keyShares.get(h)!, h, active);
        return c1s.map((c1, c) => decryptionShare(he, k, c1, { consortiumKey: committee.consortiumKey, aggregateId: ID, active, holder: h, chunk: c }, systemRandom));
      });

      // coordinator: combine; node: unpad, leave the NTT, decode
      t0 = performance.now();
      const combined = aggs.map((w, c) => combineShares(he, w.subarray(0, words), [own[c]!, ...others.map((o) => o[c]!)]));
      const combineMs = (performance.now() - t0) * scaleUp;
      const combinedBytes = combined.reduce((s, w) => s + wordFrame(w), 0) * scaleUp;
      t0 = performance.now();
      let maxErr = 0;
      const opened = openCombinedChunks(he, combined, committee.consortiumKey, ID, 0, plainValues.map((v) => v.length));
      opened.forEach((got, c) => {
        for (let k = 0; k < got.length; k++) maxErr = Math.max(maxErr, Math.abs(got[k]! - nodes * plainValues[c]![k]!));
      });
      const decodeMs = (performance.now() - t0) * scaleUp;

      const up = (uploadBytes + shareBytes) / length;
      const down = (c1Bytes + combinedBytes) / length;
      report({ metric: `${prefix}.encrypt_ms`, value: encryptMs, unit: 'ms', note: encryptNote });
      report({ metric: `${prefix}.bytes_up_per_param`, value: up, unit: 'B', baseline: 4, baselineLabel: 'plain float32' });
      report({ metric: `${prefix}.bytes_down_per_param`, value: down, unit: 'B', baseline: 4, baselineLabel: 'plain float32' });
      report({ metric: `${prefix}.bytes_total_per_param`, value: up + down, unit: 'B', baseline: 8, baselineLabel: 'plain float32 up + down (goal ratio <= 12)' });
      report({ metric: `${prefix}.coordinator_add_ms`, value: addMs, unit: 'ms', baseline: plainAddMs, baselineLabel: 'plain float32 sum', note });
      report({ metric: `${prefix}.coordinator_combine_ms`, value: combineMs, unit: 'ms', note });
      report({ metric: `${prefix}.coordinator_round_ms`, value: addMs + combineMs, unit: 'ms', note: 'goal for n=10, 11.2M: <= 5000' });
      report({ metric: `${prefix}.share_ms`, value: shareMs, unit: 'ms', note: shareNote });
      report({ metric: `${prefix}.decode_ms`, value: decodeMs, unit: 'ms', note });
      report({ metric: `${prefix}.encrypt_plus_share_ms`, value: encryptMs + shareMs, unit: 'ms', note: 'goal for 11.2M: <= 10000' });
      report({ metric: `${prefix}.max_abs_error`, value: maxErr, unit: '', note: 'bound 2^-24' });
    }
  }
}

function plainSum(update: Float32Array, nodes: number): number {
  const acc = new Float32Array(update.length);
  const t0 = performance.now();
  for (let k = 0; k < nodes; k++) for (let i = 0; i < update.length; i++) acc[i]! += update[i]!;
  return performance.now() - t0;
}

/** The node's own encryption threads (CkksPool), warmed by one job first as a node's are after round 1. */
async function encryptOnWorkers(publicKeyBytes: Uint8Array, seed: Uint8Array, values: Float32Array, n: number, count: number): Promise<number> {
  const pool = new CkksPool(publicKeyBytes, seed, count);
  try {
    await pool.encrypt(values.subarray(0, count * n), n, 'warm-up');
    const t0 = performance.now();
    await pool.encrypt(values, n, 'bench update');
    return performance.now() - t0;
  } finally {
    await pool.close();
  }
}
