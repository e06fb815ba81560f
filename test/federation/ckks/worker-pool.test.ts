import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHash } from 'node:crypto';
import { CkksPool } from '../../../src/federation/protocols/ckks/worker-pool.js';
import { CiphertextSum, combineShares, openCombinedChunks, parseCiphertext } from '../../../src/he/index.js';
import { heContext, maxAbsDiff, setupCommittee, thresholdOpen } from '../../he/helpers.js';

test('the worker threads encrypt in order, and their decryption shares open the sum', async () => {
  const he = await heContext();
  const n = he.params.polyModulusDegree;
  const c = setupCommittee(he, 3, 2, 'worker-pool');
  const values = Float32Array.from({ length: 5 * n - 123 }, (_, k) => Math.sin(k) * 1e-3);
  const pool = new CkksPool(c.publicKeyBytes, c.seed, 2);
  try {
    const cts = await pool.encrypt(values, n, 'test update');
    assert.equal(cts.length, 5);
    cts.forEach((ct, chunk) => {
      const want = Float64Array.from(values.subarray(chunk * n, Math.min(values.length, (chunk + 1) * n)));
      const { opened } = thresholdOpen(he, c, [ct], [1, 3], want.length, `chunk ${chunk}`);
      assert.ok(maxAbsDiff(opened, want) < 2 ** -24, `chunk ${chunk} opens to its values`);
    });
    // shares made on the threads open the sum of two uploads, chunk by chunk (pads bound to each chunk's index)
    const second = await pool.encrypt(values, n, 'test update');
    const sums = cts.map((ct, k) => {
      const s = new CiphertextSum(he);
      s.add(ct, 'a');
      s.add(second[k]!, 'b');
      const w = parseCiphertext(s.bytes(), { what: 'aggregate', basis: he.data, parmsId: he.dataParmsId }).words;
      s.dispose();
      return w;
    });
    const words = 2 * he.data.n * he.data.q.length;
    const aggregateId = createHash('sha256').update('pool shares').digest();
    const active = [1, 3];
    const shares = await Promise.all(
      active.map((h) => pool.shares({ keyShare: c.keyShares.get(h)!, holder: h, active, consortiumKey: c.consortiumKey, aggregateId }, sums.map((w) => w.slice(words)))),
    );
    const combined = sums.map((w, k) => combineShares(he, w.subarray(0, words), shares.map((s) => s[k]!)));
    const counts = sums.map((_, k) => Math.min(n, values.length - k * n));
    openCombinedChunks(he, combined, c.consortiumKey, aggregateId, 0, counts).forEach((got, k) => {
      const want = Float64Array.from(values.subarray(k * n, k * n + counts[k]!), (v) => 2 * v);
      assert.ok(maxAbsDiff(got, want) < 2 ** -24, `chunk ${k} of the sum opens`);
    });
  } finally {
    await pool.close();
  }
});
