import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decryptFromPeer, encryptForPeer } from '../../src/secagg/share-encryption.js';
import { shareEncryptionKey } from '../../src/secagg/derive.js';
import { generateX25519KeyPair, x25519PublicKey } from '../../src/crypto/x25519.js';
import { x25519Agree } from '../../src/secagg/primitives.js';
import { SecAggError } from '../../src/secagg/errors.js';
import { seededRandom } from './helpers.js';

const random = seededRandom('share-encryption');
const isTampered = (e: unknown) => e instanceof SecAggError && e.code === 'tampered';

test('both ends of an X25519 agreement derive the same share key', () => {
  const a = generateX25519KeyPair(random);
  const b = generateX25519KeyPair(random);
  assert.deepEqual(x25519PublicKey(a.secretKey), a.publicKey);
  const ka = shareEncryptionKey(x25519Agree(a.privateKey, b.publicKey, 2), 'r', 1, 2);
  const kb = shareEncryptionKey(x25519Agree(b.privateKey, a.publicKey, 1), 'r', 2, 1);
  assert.deepEqual(ka, kb);
  assert.notDeepEqual(shareEncryptionKey(x25519Agree(a.privateKey, b.publicKey, 2), 'r2', 1, 2), ka);
});

test('a share ciphertext opens only for its round, sender and receiver, and only unaltered', () => {
  const key = random(32);
  const plaintext = random(64);
  const ct = encryptForPeer(key, 'r', 1, 2, plaintext, random);
  assert.deepEqual(decryptFromPeer(key, 'r', 1, 2, ct), plaintext);
  assert.throws(() => decryptFromPeer(key, 'r', 2, 1, ct), isTampered); // reflected back
  assert.throws(() => decryptFromPeer(key, 'r', 3, 2, ct), isTampered); // relabelled sender
  assert.throws(() => decryptFromPeer(key, 'r', 1, 3, ct), isTampered); // misrouted
  assert.throws(() => decryptFromPeer(key, 'other', 1, 2, ct), isTampered); // replayed from another round
  for (const at of [0, 12, 40, ct.length - 1]) {
    const bad = ct.slice();
    bad[at]! ^= 1;
    assert.throws(() => decryptFromPeer(key, 'r', 1, 2, bad), isTampered);
  }
  assert.throws(() => decryptFromPeer(key, 'r', 1, 2, ct.subarray(0, 20)), isTampered);
});

test('low-order and malformed public keys are refused', () => {
  const a = generateX25519KeyPair(random);
  assert.throws(() => x25519Agree(a.privateKey, new Uint8Array(32), 9), /node 9/);
  assert.throws(() => x25519Agree(a.privateKey, new Uint8Array(31), 9), /31 bytes/);
});
