import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMessage, decodeMessageOf, encodeMessage } from '../../src/secagg/wire.js';
import type { SecAggMessage } from '../../src/secagg/messages.js';
import { SecAggError } from '../../src/secagg/errors.js';
import { seededRandom } from './helpers.js';

const random = seededRandom('wire');
const roundId = 'round-7/ünïcode';

const samples: SecAggMessage[] = [
  {
    kind: 'setup',
    params: { roundId, nodeIds: [1, 2, 0xffffffff], threshold: 2, degree: 2, vectorLength: 10, clip: 0.25, maxWeight: 1e6 },
    graphNonceCommitment: random(32),
  },
  { kind: 'advertise-keys', roundId, nodeId: 2, encryptionPublicKey: random(32), maskPublicKey: random(32) },
  {
    kind: 'key-broadcast',
    roundId,
    graphNonce: random(32),
    participants: [1, 2].map((nodeId) => ({ nodeId, encryptionPublicKey: random(32), maskPublicKey: random(32) })),
    neighbours: [1],
  },
  { kind: 'share-keys', roundId, nodeId: 1, selfMaskSeedCommitment: random(32), shares: [{ to: 2, ciphertext: random(92) }] },
  { kind: 'forwarded-shares', roundId, shares: [] },
  { kind: 'masked-input', roundId, nodeId: 1, maskedVector: random(4 * 11) },
  { kind: 'unmask-request', roundId, survivors: [1, 2], dropped: [] },
  { kind: 'unmask-response', roundId, nodeId: 1, selfMaskSeedShares: [{ owner: 2, share: random(32) }], maskKeyShares: [] },
];

test('every message kind survives encoding and decoding unchanged', () => {
  for (const message of samples) {
    const decoded = decodeMessage(encodeMessage(message));
    // compare field by field as plain data (decoded byte fields are views)
    assert.deepEqual(JSON.parse(JSON.stringify(decoded, bytesAsArrays)), JSON.parse(JSON.stringify(message, bytesAsArrays)));
  }
});

test('a masked vector costs 4 bytes per coordinate plus a small header, and decodes without copying', () => {
  const message = samples[5]! as Extract<SecAggMessage, { kind: 'masked-input' }>;
  const bytes = encodeMessage(message);
  assert.ok(bytes.length - message.maskedVector.length <= 48, `header of ${bytes.length - message.maskedVector.length} bytes`);
  const decoded = decodeMessageOf(bytes, 'masked-input');
  assert.equal(decoded.maskedVector.buffer, bytes.buffer);
  assert.equal(decoded.maskedVector.byteOffset % 4, 0);
});

test('malformed bytes are rejected, never half-decoded', () => {
  const good = encodeMessage(samples[2]!);
  const rejects = (bytes: Uint8Array, pattern: RegExp) =>
    assert.throws(() => decodeMessage(bytes), (e: unknown) => e instanceof SecAggError && e.code === 'malformed' && pattern.test(e.message));
  rejects(good.subarray(0, good.length - 1), /truncated/);
  rejects(Uint8Array.from([...good, 0]), /trailing/);
  rejects(Uint8Array.from([0x50, 0x53, 0x42, 1, 1]), /not a secure-aggregation message/);
  rejects(Uint8Array.from([0x50, 0x53, 0x41, 9, 1]), /version/);
  rejects(Uint8Array.from([0x50, 0x53, 0x41, 2, 99]), /kind/);
  // a list claiming 2^32-1 entries in a short message
  const huge = encodeMessage({ kind: 'forwarded-shares', roundId: 'r', shares: [] });
  new DataView(huge.buffer).setUint32(huge.length - 4, 0xffffffff, true);
  rejects(huge, /truncated/);
  assert.throws(() => decodeMessageOf(good, 'setup'), /expected a setup message, got key-broadcast/);
});

test('encoding refuses ids that are not unsigned 32-bit integers', () => {
  assert.throws(() => encodeMessage({ kind: 'unmask-request', roundId: 'r', survivors: [1.5], dropped: [] }), /unsigned 32-bit/);
  assert.throws(() => encodeMessage({ kind: 'unmask-request', roundId: 'r', survivors: [-1], dropped: [] }), /unsigned 32-bit/);
});

function bytesAsArrays(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? { bytes: [...value] } : value;
}
