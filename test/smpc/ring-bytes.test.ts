import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ringLowBytes, ringFromLowBytes, ringRandom } from '../../src/smpc/ring64.js';

test('ring low bytes: every width 1..8 keeps exactly the low 8 width bits, little-endian, and round-trips mod 2^(8 width)', () => {
  const edges = [0n, 1n, 0xffn, 0x100n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 63n, 2n ** 64n - 1n, 0x0123456789abcdefn];
  const v = BigUint64Array.from([...edges, ...ringRandom(997)]);
  for (let width = 1; width <= 8; width++) {
    const bytes = ringLowBytes(v, width);
    assert.equal(bytes.length, v.length * width);
    for (let i = 0; i < v.length; i++)
      for (let b = 0; b < width; b++) assert.equal(bytes[i * width + b], Number((v[i]! >> BigInt(8 * b)) & 0xffn), `width ${width}, element ${i}, byte ${b}`);
    const back = ringFromLowBytes(bytes, v.length, width, 'test');
    back.forEach((x, i) => assert.equal(x, BigInt.asUintN(8 * width, v[i]!), `width ${width}, element ${i}`));
  }
  assert.throws(() => ringFromLowBytes(new Uint8Array(14), 3, 5, 'gate opening'), /gate opening: expected 3 values of 5 bytes \(15 bytes\), got 14 bytes/);
});
