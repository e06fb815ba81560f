import { test } from 'node:test';
import assert from 'node:assert/strict';
import { erfc, logErfc, logNormalCdf, normalCdfAndSf } from '../../src/accounting/normal.js';
import { logAdd, logBinomial, logSub, GeneralisedBinomials } from '../../src/accounting/logspace.js';
import { Fft } from '../../src/accounting/fft.js';

// log(erfc(x)) and log(Phi(x)) to 20 digits, computed with mpmath at 40 digits.
const LOG_ERFC: [number, number][] = [
  [0.1, -0.1193049737373956053],
  [0.5, -0.73501112983708440303],
  [1.0, -1.8496055099332482486],
  [1.19, -2.3817179793737795996],
  [1.5, -3.3844920895515527203],
  [2.5, -7.8068152727272643589],
  [4.0, -17.987778312103006503],
  [6.0, -38.377561173223388366],
  [10.0, -102.87988902484488857],
  [25.0, -628.79203917407168537],
  [-1.0, 0.61123231767807049464],
];
const LOG_PHI: [number, number][] = [
  [-40, -804.60844201375378817],
  [-10, -53.231285150512470578],
  [-3, -6.6077262215103495433],
  [0, -0.69314718055994530942],
  [2, -0.023012909328963488465],
  [8, -6.2209605742717860585e-16],
];

test('erfc is accurate to ~1e-14 relative, from the centre to the far tail', () => {
  for (const [x, ref] of LOG_ERFC) {
    const relErr = Math.abs(Math.expm1(logErfc(x) - ref));
    assert.ok(relErr < 1e-14, `erfc(${x}): relative error ${relErr}`);
  }
  assert.equal(erfc(0), 1);
  assert.ok(Math.abs(erfc(-2) - (2 - erfc(2))) < 1e-16);
});

test('log Phi keeps relative precision in both tails', () => {
  for (const [x, ref] of LOG_PHI) {
    const got = logNormalCdf(x);
    const err = Math.abs(got - ref) / Math.max(Math.abs(ref), 1e-300);
    assert.ok(err < 1e-13, `log Phi(${x}) = ${got}, expected ${ref}`);
  }
  const { cdf, sf } = normalCdfAndSf(-9);
  assert.ok(Math.abs(sf - 1) < 1e-16 && Math.abs(cdf / 1.1285884059538406e-19 - 1) < 1e-13);
});

test('log-space add, subtract and binomials', () => {
  assert.ok(Math.abs(logAdd(Math.log(3), Math.log(5)) - Math.log(8)) < 1e-15);
  assert.equal(logAdd(-Infinity, 2), 2);
  assert.ok(Math.abs(logSub(Math.log(8), Math.log(3)) - Math.log(5)) < 1e-15);
  assert.equal(logSub(1, 1), -Infinity);
  assert.throws(() => logSub(1, 2), RangeError);
  assert.equal(logAdd(1000, 1000), 1000 + Math.log(2));
  assert.ok(Math.abs(logBinomial(10, 3) - Math.log(120)) < 1e-14);
  assert.ok(Math.abs(logBinomial(512, 256) - 351.54591450058797) < 1e-10); // lgamma(513) - 2 lgamma(257)
  const b = new GeneralisedBinomials(2.5); // 1, 2.5, 1.875, 0.3125, -0.0390625
  const expected = [1, 2.5, 1.875, 0.3125, -0.0390625];
  for (const want of expected) {
    const { logAbs, sign } = b.next();
    assert.ok(Math.abs(sign * Math.exp(logAbs) - want) < 1e-14, `${sign * Math.exp(logAbs)} vs ${want}`);
  }
});

test('FFT matches a direct DFT and inverts', () => {
  const n = 64;
  const re = Float64Array.from({ length: n }, (_, i) => Math.sin(i * 1.3) + (i % 5));
  const im = Float64Array.from({ length: n }, (_, i) => Math.cos(i * 0.7));
  const x = { re: re.slice(), im: im.slice() };
  const fft = new Fft(n);
  fft.forward(re, im);
  for (const k of [0, 1, 7, 31, 32, 63]) {
    let sr = 0;
    let si = 0;
    for (let t = 0; t < n; t++) {
      const a = (-2 * Math.PI * k * t) / n;
      sr += x.re[t]! * Math.cos(a) - x.im[t]! * Math.sin(a);
      si += x.re[t]! * Math.sin(a) + x.im[t]! * Math.cos(a);
    }
    assert.ok(Math.abs(re[k]! - sr) < 1e-11 && Math.abs(im[k]! - si) < 1e-11, `bin ${k}`);
  }
  fft.inverse(re, im);
  for (let t = 0; t < n; t++) assert.ok(Math.abs(re[t]! - x.re[t]!) < 1e-13 && Math.abs(im[t]! - x.im[t]!) < 1e-13);
  assert.throws(() => new Fft(48), RangeError);
});
