import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCoefficients, fromNtt, HeError } from '../../src/he/index.js';
import { fromIntegers } from '../../src/he/rns.js';
import { decodeBigInt, encodeCoefficients } from '../../src/he/packing.js';
import { plainWords } from '../../src/he/context.js';
import { heContext } from './helpers.js';

test('coefficient packing: encode then decode returns the values; float64 CRT agrees with BigInt CRT', async () => {
  const he = await heContext();
  const values = Float64Array.from({ length: 8192 }, (_, k) => (k % 2 ? -1 : 1) * Math.sin(k) * 2 ** ((k % 25) - 12));
  values[0] = 4096; values[1] = -4096; values[2] = 0; values[3] = 2 ** -40;
  const pt = encodeCoefficients(he, values, 'test');
  const coeffs = fromNtt(he, plainWords(he, pt));
  const got = decodeCoefficients(he, coeffs, values.length);
  for (let k = 0; k < values.length; k++) assert.ok(Math.abs(got[k]! - values[k]!) <= 2 ** -41 + Math.abs(values[k]!) * 2 ** -50, `coefficient ${k}: ${got[k]} vs ${values[k]}`);
  // large centred integers near +-Q/2 / 2^10 decode the same by both paths
  const big = Float64Array.from({ length: 8192 }, (_, k) => (k % 3 === 0 ? -1 : 1) * (2 ** 52 - k));
  const viaFloat = decodeCoefficients(he, fromIntegers(he.data, big), 8192);
  const viaBigInt = decodeBigInt(he, fromIntegers(he.data, big), 8192);
  for (let k = 0; k < 8192; k++) assert.ok(Math.abs(viaFloat[k]! - viaBigInt[k]!) <= (Math.abs(viaBigInt[k]!) + 2 ** -28) * 2 ** -51, `coefficient ${k}`);
  // an all-zero chunk (a frozen layer) encodes too (its NTT image is 'transparent' to SEAL)
  assert.deepEqual(decodeCoefficients(he, fromNtt(he, plainWords(he, encodeCoefficients(he, new Float64Array(8192), 'zeros'))), 4), new Float64Array(4));
  assert.throws(() => encodeCoefficients(he, [Number.NaN], 'node 4 update'), (e: unknown) => e instanceof HeError && /node 4 update, chunk 0: value 0 is NaN/.test(e.message));
  assert.throws(() => encodeCoefficients(he, [5000], 'node 4 update'), /\|x\| <= 4096/);
});
