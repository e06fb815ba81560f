import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EncryptPool } from '../../../src/federation/protocols/ckks/encrypt-pool.js';
import { heContext, maxAbsDiff, setupCommittee, thresholdOpen } from '../../he/helpers.js';

test('the encryption threads produce ciphertexts, in order, that the committee opens to the values', async () => {
  const he = await heContext();
  const n = he.params.polyModulusDegree;
  const c = setupCommittee(he, 3, 2, 'encrypt-pool');
  const values = Float32Array.from({ length: 5 * n - 123 }, (_, k) => Math.sin(k) * 1e-3);
  const pool = new EncryptPool(c.publicKeyBytes, c.seed, 2);
  try {
    const cts = await pool.encrypt(values, n, 'test update');
    assert.equal(cts.length, 5);
    cts.forEach((ct, chunk) => {
      const want = Float64Array.from(values.subarray(chunk * n, Math.min(values.length, (chunk + 1) * n)));
      const { opened } = thresholdOpen(he, c, [ct], [1, 3], want.length, `chunk ${chunk}`);
      assert.ok(maxAbsDiff(opened, want) < 2 ** -24, `chunk ${chunk} opens to its values`);
    });
    // a second job on the warm threads
    const again = await pool.encrypt(values.subarray(0, n), n, 'test update');
    assert.equal(again.length, 1);
  } finally {
    await pool.close();
  }
});
