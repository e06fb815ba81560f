import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  CiphertextSum,
  DEFAULT_CKKS_PARAMS,
  HeError,
  collectiveEncryptor,
  createHeContext,
  crsSeed,
  encryptChunk,
  frame,
  loadCollectivePublicKey,
  parseCiphertext,
  parsePlaintext,
  parseUpload,
  parseWords,
  readSeeded,
  wordsPayload,
} from '../../src/he/index.js';
import { ciphertextImage, plaintextImage } from '../../src/he/layout.js';
import { heContext, setupCommittee } from './helpers.js';

const refuses = (fn: () => unknown, code: string, text: RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof HeError && e.code === code && text.test(e.message), `expected ${code} ${text}`);

test('parameters are at 128-bit security per the HE standard table (CoeffModulus.MaxBitCount)', async () => {
  const he = await heContext();
  const total = DEFAULT_CKKS_PARAMS.coeffModulusBits.reduce((a, b) => a + b, 0);
  const max = he.seal.CoeffModulus.MaxBitCount(DEFAULT_CKKS_PARAMS.polyModulusDegree, he.seal.SecurityLevel.tc128);
  assert.equal(max, 218);
  assert.ok(total <= max, `${total} bits > ${max}`);
  await assert.rejects(createHeContext({ ...DEFAULT_CKKS_PARAMS, coeffModulusBits: [60, 60, 60, 60], scaleBits: 100 }), /exceeds 218, the 128-bit security limit/);
  await assert.rejects(createHeContext({ ...DEFAULT_CKKS_PARAMS, scaleBits: 100 }), /does not fit below Q\/2/);
});

test('SEAL objects round-trip through our parser and image builder byte for byte', async () => {
  const he = await heContext();
  const c = setupCommittee(he, 2, 2, 'layout');
  const enc = collectiveEncryptor(he, loadCollectivePublicKey(he, c.publicKeyBytes, c.seed));
  const ct = encryptChunk(he, enc, Float32Array.of(0.5, -0.25, 3), 'node 1');
  assert.equal(ct.length, 113 + 8 * 2 * 8192 * 2); // 262,257 B: 32 B per parameter
  const p = parseCiphertext(ct, { what: 'upload', basis: he.data, parmsId: he.dataParmsId });
  assert.ok(p.ntt);
  assert.equal(p.scale, 2 ** 88);
  assert.deepEqual(ciphertextImage(ct, p.words, true, p.scale), ct);
  const pt = he.templates.plaintext;
  const pp = parsePlaintext(pt, { what: 'plaintext', basis: he.data, parmsId: he.dataParmsId });
  assert.deepEqual(plaintextImage(pt, pp.words), pt);
  const sk = he.templates.secretKey;
  const sp = parsePlaintext(sk, { what: 'secret key', basis: he.key, parmsId: he.keyParmsId });
  assert.deepEqual(plaintextImage(sk, sp.words), sk);
  assert.equal(c.publicKeyBytes.length, 196_802);
  const seeded = readSeeded(c.publicKeyBytes, { what: 'collective key', basis: he.key, parmsId: he.keyParmsId });
  assert.deepEqual(seeded.seed, c.seed);
});

test('refuses words >= q_j, truncation, foreign headers and a key on another CRS', async () => {
  const he = await heContext();
  const c = setupCommittee(he, 2, 2, 'layout-refuse');
  const enc = collectiveEncryptor(he, loadCollectivePublicKey(he, c.publicKeyBytes, c.seed));
  const ct = encryptChunk(he, enc, Float32Array.of(1), 'node 1');
  const ex = { what: 'upload from node 7', basis: he.data, parmsId: he.dataParmsId };
  for (const [j, at] of [[0, 113 + 8 * 5], [1, 113 + 8 * (8192 + 5)]] as const) {
    const bad = Uint8Array.from(ct);
    new DataView(bad.buffer).setBigUint64(at, he.data.q[j]!, true);
    refuses(() => parseCiphertext(bad, ex), 'malformed', new RegExp(`upload from node 7: word \\d+ is not below its prime q_${j}`));
    const sum = new CiphertextSum(he);
    refuses(() => sum.add(bad, 'upload from node 7'), 'malformed', /node 7/);
  }
  refuses(() => parseCiphertext(ct.subarray(0, ct.length - 8), ex), 'malformed', /node 7: expected 262257 bytes, got 262249 \(truncated\)/);
  refuses(() => parseCiphertext(ct.subarray(0, 10), ex), 'malformed', /truncated/);
  const magic = Uint8Array.from(ct);
  magic[0] = 0;
  refuses(() => parseCiphertext(magic, ex), 'malformed', /magic/);
  const zstd = Uint8Array.from(ct);
  zstd[5] = 2;
  refuses(() => parseCiphertext(zstd, ex), 'malformed', /compression none/);
  const level = Uint8Array.from(ct);
  level[20] ^= 1;
  refuses(() => parseCiphertext(level, ex), 'malformed', /parameters id/);
  const scale = Uint8Array.from(ct);
  new DataView(scale.buffer).setFloat64(73, 2 ** 40, true);
  const sum = new CiphertextSum(he);
  refuses(() => sum.add(scale, 'upload from node 7'), 'malformed', /node 7: expected scale 2\^88/);
  refuses(() => loadCollectivePublicKey(he, c.publicKeyBytes, crsSeed('another run')), 'malformed', /not generated from this run's CRS seed/);
  const keyBad = Uint8Array.from(c.publicKeyBytes);
  new DataView(keyBad.buffer).setBigUint64(113, he.key.q[0]!, true);
  refuses(() => loadCollectivePublicKey(he, keyBad, c.seed), 'malformed', /word 0 is not below its prime q_0/);
});

test('frames bind node, chunk and round: replayed or tampered uploads and shares are refused naming the node', async () => {
  const he = await heContext();
  const c = setupCommittee(he, 2, 2, 'frames');
  const enc = collectiveEncryptor(he, loadCollectivePublicKey(he, c.publicKeyBytes, c.seed));
  const round1 = createHash('sha256').update('run/round 1').digest();
  const round2 = createHash('sha256').update('run/round 2').digest();
  const up = frame('upload', { node: 3, chunk: 4, id: round1 }, encryptChunk(he, enc, Float32Array.of(1), 'node 3'));
  assert.ok(parseUpload(he, up, { node: 3, chunk: 4, id: round1 }, 'node 3 upload').length > 0);
  refuses(() => parseUpload(he, up, { node: 3, chunk: 4, id: round2 }, 'node 3 upload'), 'replayed', /node 3 upload: frame belongs to another round/);
  refuses(() => parseUpload(he, up, { node: 3, chunk: 5, id: round1 }, 'node 3 upload'), 'replayed', /chunk 4, expected chunk 5/);
  refuses(() => parseUpload(he, up, { node: 2, chunk: 4, id: round1 }, 'node 2 upload'), 'replayed', /from node 3, expected node 2/);
  refuses(() => parseUpload(he, up.subarray(0, up.length - 1), { node: 3, chunk: 4, id: round1 }, 'node 3 upload'), 'malformed', /node 3 upload: .*truncated/);
  const words = new Uint32Array(2 * 8192 * 2);
  const share = frame('share', { node: 3, chunk: 0, id: round1 }, wordsPayload(words));
  assert.equal(parseWords(he, 'share', share, { node: 3, chunk: 0, id: round1 }, 'share of node 3').length, words.length);
  refuses(() => parseWords(he, 'share', share, { node: 3, chunk: 0, id: round2 }, 'share of node 3'), 'replayed', /share of node 3: frame belongs to another aggregate/);
  refuses(() => parseWords(he, 'combined', share, { node: 3, chunk: 0, id: round1 }, 'share of node 3'), 'malformed', /not a combined frame/);
  const tampered = Uint8Array.from(share);
  tampered.fill(0xff, 44 + 8 * 100, 44 + 8 * 101);
  refuses(() => parseWords(he, 'share', tampered, { node: 3, chunk: 0, id: round1 }, 'share of node 3'), 'malformed', /share of node 3: word 100 is not below its prime/);
  refuses(() => parseWords(he, 'share', share.subarray(0, 1000), { node: 3, chunk: 0, id: round1 }, 'share of node 3'), 'malformed', /truncated/);
});
