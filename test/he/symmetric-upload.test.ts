import { test } from 'node:test';
import assert from 'node:assert/strict';
import { systemRandom } from '../../src/crypto/random.js';
import {
  additiveKey,
  collectiveEncryptor,
  combineShares,
  decodeCoefficients,
  encodeCoefficients,
  encryptChunk,
  fromNtt,
  loadCollectivePublicKey,
  parseCiphertext,
  smudgedShare,
} from '../../src/he/index.js';
import { plaintextImage } from '../../src/he/layout.js';
import { dataPart, heContext, maxAbsDiff, setupCommittee } from './helpers.js';

/**
 * Why nodes must encrypt under the collective public key. With a symmetric
 * upload under its own key share s_i, node i's ciphertext (c0, c1) satisfies
 * c0 + c1 s_i = Delta m_i + e: the decryption share the coordinator needs from
 * node i to decrypt anything built on that c1 (c1 s_i + E_i) opens node i's
 * own update. The same share against a public-key upload opens nothing.
 */
test('a decryption share opens a symmetric per-node upload, not a collective-key upload', async () => {
  const he = await heContext();
  const c = setupCommittee(he, 3, 3, 'symmetric');
  const m1 = Float32Array.from({ length: 256 }, (_, k) => Math.sin(k) * 0.3);
  const words = 2 * he.data.n * he.data.q.length;
  const open = (ct: Uint8Array) => {
    const p = parseCiphertext(ct, { what: 'upload of node 1', basis: he.data, parmsId: he.dataParmsId });
    const dec = additiveKey(he, dataPart(he, c.parties[0]!.secret)); // node 1's share s_1
    const h1 = smudgedShare(he, dec, p.words.subarray(words), systemRandom); // what node 1 sends: c1 s_1 + E_1
    dec.delete();
    return decodeCoefficients(he, fromNtt(he, combineShares(he, p.words.subarray(0, words), [h1])), m1.length);
  };
  // forbidden: symmetric encryption under node 1's own share
  const sk1 = he.seal.SecretKey();
  sk1.loadArray(he.ctx, plaintextImage(he.templates.secretKey, c.parties[0]!.secret));
  const pk = loadCollectivePublicKey(he, c.publicKeyBytes, c.seed);
  const symmetric = he.seal.Encryptor(he.ctx, pk, sk1).encryptSymmetric(encodeCoefficients(he, m1, 'node 1'))!;
  const leaked = open(symmetric.saveArray(he.seal.ComprModeType.none));
  assert.ok(maxAbsDiff(leaked, Float64Array.from(m1)) < 2 ** -24, 'the coordinator reads node 1 update from one share');
  // what privmed does: the collective public key; the same share leaves the update hidden
  const upload = encryptChunk(he, collectiveEncryptor(he, pk), m1, 'node 1');
  assert.ok(maxAbsDiff(open(upload), Float64Array.from(m1)) > 1e3);
});
