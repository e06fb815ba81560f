import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import { applyMask, applyMasksRange, MASK_BLOCK_ELEMENTS } from '../../src/crypto/prg.js';
import { addInto, ringFromLittleEndian, ringToLittleEndian } from '../../src/crypto/ring.js';
import { seededRandom } from './helpers.js';

const random = seededRandom('prg');

test('adding and subtracting the same mask cancels, across chunk boundaries', () => {
  for (const length of [1, 3, 65535, 65536, 65537, 200003]) {
    const original = new Uint32Array(random(4 * length).buffer);
    const v = original.slice();
    const key = random(32);
    applyMask(v, key, 1);
    assert.notDeepEqual(v, original);
    applyMask(v, key, -1);
    assert.deepEqual(v, original);
  }
});

test('a mask depends only on its key, and its prefix does not depend on the length', () => {
  const key = random(32);
  const a = new Uint32Array(70000);
  const b = new Uint32Array(100);
  applyMask(a, key, 1);
  applyMask(b, key, 1);
  assert.deepEqual(a.subarray(0, 100), b);
  const c = new Uint32Array(100);
  applyMask(c, random(32), 1);
  assert.notDeepEqual(b, c);
});

test('ring vectors travel as little-endian bytes, aligned or not', () => {
  const v = Uint32Array.from([1, 0x01020304, 0xffffffff]);
  const bytes = ringToLittleEndian(v);
  assert.deepEqual([...bytes.subarray(4, 8)], [4, 3, 2, 1]);
  const shifted = new Uint8Array(bytes.length + 1);
  shifted.set(bytes, 1);
  assert.deepEqual(ringFromLittleEndian(shifted.subarray(1)), v);
  assert.throws(() => ringFromLittleEndian(new Uint8Array(5)), RangeError);
});

test('masks folded chunk by chunk in the lane kernel equal the keystream added element by element, on any range', () => {
  // The reference: the whole AES-256-CTR keystream (zero IV), read as little-endian words, added or subtracted one at a time.
  const reference = (acc: Uint32Array, masks: { key: Uint8Array; sign: 1 | -1 }[], from: number, to: number): void => {
    for (const { key, sign } of masks) {
      const stream = createCipheriv('aes-256-ctr', key, new Uint8Array(16)).update(new Uint8Array(4 * to));
      for (let i = from; i < to; i++) acc[i] = acc[i]! + sign * stream.readUInt32LE(4 * i);
    }
  };
  for (const [length, from, to] of [[1, 0, 1], [7, 0, 7], [65536, 0, 65536], [65537, 4, 65537], [200003, 65532, 199999], [131075, 131072, 131075]] as const) {
    const original = new Uint32Array(random(4 * length).buffer);
    const masks = [1, -1, -1, 1, 1].map((sign) => ({ key: random(32), sign: sign as 1 | -1 }));
    const expected = original.slice();
    reference(expected, masks, from, to);
    const actual = original.slice();
    applyMasksRange(actual, masks, from, to);
    assert.deepEqual(actual, expected, `length ${length}, range [${from}, ${to})`);
    assert.equal(from % MASK_BLOCK_ELEMENTS, 0);
  }
  assert.throws(() => applyMasksRange(new Uint32Array(8), [{ key: random(32), sign: 1 }], 2, 8), /not block-aligned/);
});

test('addInto through the lane kernel wraps mod 2^32 like element-by-element addition, for any length', () => {
  for (const length of [1, 5, 65536, 65541, 140001]) {
    const a = new Uint32Array(random(4 * length).buffer);
    const b = new Uint32Array(random(4 * length).buffer);
    const expected = Uint32Array.from(a, (v, i) => (v + b[i]!) >>> 0);
    const actual = a.slice();
    addInto(actual, b);
    assert.deepEqual(actual, expected, `length ${length}`);
  }
  assert.throws(() => addInto(new Uint32Array(3), new Uint32Array(4)), RangeError);
});
