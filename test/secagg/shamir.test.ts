import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isFieldElement, randomFieldElementBytes } from '../../src/crypto/shamir.js';
import { reconstructSecret, shareSecret } from '../../src/secagg/primitives.js';
import { SecAggError } from '../../src/secagg/errors.js';
import { seededRandom } from './helpers.js';

const random = seededRandom('shamir');

test('any threshold-sized subset of shares reconstructs the secret', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 12 }).chain((t) =>
        fc.record({
          t: fc.constant(t),
          holders: fc.uniqueArray(fc.integer({ min: 1, max: 0xffffffff }), { minLength: t, maxLength: t + 8 }),
          pick: fc.infiniteStream(fc.nat()),
        }),
      ),
      ({ t, holders, pick }) => {
        const secret = randomFieldElementBytes(random);
        const shares = shareSecret(secret, holders, t, random);
        assert.equal(shares.size, holders.length);
        // a pseudo-random subset of exactly t holders, in pseudo-random order
        const pool = [...holders];
        const it = pick[Symbol.iterator]();
        const chosen = Array.from({ length: t }, () => pool.splice(it.next().value! % pool.length, 1)[0]!);
        const rebuilt = reconstructSecret(chosen.map((h) => ({ holder: h, share: shares.get(h)! })), t);
        assert.deepEqual(rebuilt, secret);
      },
    ),
    { numRuns: 60 },
  );
});

test('t - 1 shares do not give the secret, and reconstruction refuses them', () => {
  const secret = randomFieldElementBytes(random);
  const holders = [3, 8, 9, 20, 21];
  const shares = shareSecret(secret, holders, 4, random);
  const three = holders.slice(0, 3).map((h) => ({ holder: h, share: shares.get(h)! }));
  assert.throws(() => reconstructSecret(three, 4), (e: unknown) => e instanceof SecAggError && e.code === 'below-threshold');
  // Interpolating the degree-2 polynomial through 3 points of a degree-3 one lands elsewhere.
  assert.notDeepEqual(reconstructSecret(three, 3), secret);
});

test('sharing checks its inputs', () => {
  const secret = randomFieldElementBytes(random);
  assert.throws(() => shareSecret(secret, [1, 2, 2], 2, random), /appears twice/);
  assert.throws(() => shareSecret(secret, [0, 1], 2, random), /invalid share holder/);
  assert.throws(() => shareSecret(secret, [1, 2], 3, random), /threshold 3/);
  assert.throws(() => shareSecret(new Uint8Array(32).fill(0xff), [1, 2], 2, random), /field element/);
});

test('field elements are exactly the values below 2^255 - 19', () => {
  const p = new Uint8Array(32).fill(0xff);
  p[0] = 0xed;
  p[31] = 0x7f;
  assert.equal(isFieldElement(p), false);
  p[0] = 0xec;
  assert.equal(isFieldElement(p), true);
  for (let i = 0; i < 50; i++) assert.equal(isFieldElement(randomFieldElementBytes(random)), true);
});
