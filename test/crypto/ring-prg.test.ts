import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyMask } from '../../src/crypto/prg.js';
import { ringFromLittleEndian, ringToLittleEndian } from '../../src/crypto/ring.js';
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
