import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/common/rng.js';
import { labToRgb, rgbToLab } from '../../src/data/stain/colour.js';
import { hedToRgb, hedTransform, randomHed, rgbToHed, RUIFROK_HED } from '../../src/data/stain/hed.js';
import { macenkoNormalise, macenkoStats, symmetricEigen3 } from '../../src/data/stain/macenko.js';
import { reinhardNormalise, reinhardStats } from '../../src/data/stain/reinhard.js';
import { applyStain, stainSpecOf } from '../../src/data/stain/stain-spec.js';
import { parsePreprocessingSpec } from '../../src/data/preprocess/spec.js';
import { buildAugmentation, preprocessImage } from '../../src/data/preprocess/build.js';
import { rotate90 } from '../../src/data/preprocess/augment/flip.js';
import { resizeHwc } from '../../src/data/preprocess/resize.js';

const N = 48;

/**
 * A synthetic H&E tile: haematoxylin "nuclei" (discs), eosin everywhere else
 * with a gradient, some white background; optical density = h * H + e * E with
 * the given stain vectors, so its true stains are known.
 */
function syntheticTile(stains: readonly (readonly number[])[], hScale = 1, eScale = 1, glass = true): Float32Array {
  const hed = new Float32Array(N * N * 3);
  for (let y = 0; y < N; y++) {
    for (let x = 0; x < N; x++) {
      const p = (y * N + x) * 3;
      const nucleus = ((x % 16) - 8) ** 2 + ((y % 16) - 8) ** 2 < 20;
      const background = glass && x > 40 && y > 40;
      hed[p] = background ? 0 : nucleus ? 1.2 * hScale : 0.05 * hScale * ((x * 7 + y * 3) % 5) / 4;
      hed[p + 1] = background ? 0 : nucleus ? 0.05 * eScale : (0.3 + (0.5 * x) / N) * eScale;
    }
  }
  const od = new Float32Array(hed.length);
  for (let p = 0; p < od.length; p += 3) for (let k = 0; k < 3; k++) od[p + k] = hed[p]! * stains[0]![k]! + hed[p + 1]! * stains[1]![k]!;
  return Float32Array.from(od, (v) => Math.min(1, Math.max(0, (256 * Math.exp(-v) - 1) / 255)));
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

const cosine = (a: readonly number[], b: readonly number[]) => (a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!) / Math.hypot(...a) / Math.hypot(...b);

test('CIELAB round trip is the identity on RGB', () => {
  const tile = syntheticTile(RUIFROK_HED);
  assert.ok(maxDiff(labToRgb(rgbToLab(tile)), tile) < 1e-4);
  // White is L* 100, a* = b* = 0.
  const white = rgbToLab(Float32Array.of(1, 1, 1));
  assert.ok(Math.abs(white[0]! - 100) < 1e-3 && Math.abs(white[1]!) < 1e-3 && Math.abs(white[2]!) < 1e-3);
});

test('a tile normalised to its own statistics is unchanged (Reinhard, Macenko)', () => {
  const tile = syntheticTile(RUIFROK_HED);
  assert.ok(maxDiff(reinhardNormalise(tile, reinhardStats(tile)!), tile) < 1e-3);
  assert.ok(maxDiff(macenkoNormalise(tile, macenkoStats(tile)!), tile) < 2e-3, `macenko ${maxDiff(macenkoNormalise(tile, macenkoStats(tile)!), tile)}`);
});

test('Macenko recovers the stain vectors a tile was made with', () => {
  const s = macenkoStats(syntheticTile(RUIFROK_HED))!;
  assert.ok(cosine(s.stains[0], RUIFROK_HED[0]!) > 0.995, `H ${s.stains[0]}`);
  assert.ok(cosine(s.stains[1], RUIFROK_HED[1]!) > 0.995, `E ${s.stains[1]}`);
});

test("a tile from another lab (other stain vectors and strengths) comes back to the reference's statistics", () => {
  const reference = syntheticTile(RUIFROK_HED);
  // Another lab: bluer haematoxylin, pinker eosin, weaker and stronger staining.
  const otherStains = [[0.55, 0.75, 0.37], [0.15, 0.95, 0.27]];
  const other = syntheticTile(otherStains, 0.7, 1.4);
  // Reinhard's statistics are over tissue (L* < 88); with dense tissue and no glass every pixel stays in, so they match exactly.
  const refR = reinhardStats(syntheticTile(RUIFROK_HED, 2, 2, false))!;
  const before = reinhardStats(syntheticTile(otherStains, 1.4, 2.8, false))!;
  const afterR = reinhardStats(reinhardNormalise(syntheticTile(otherStains, 1.4, 2.8, false), refR))!;
  // Within 1 L*a*b* unit (colours outside the sRGB gamut are clamped on the way back), from several units away.
  for (let c = 0; c < 3; c++) {
    assert.ok(Math.abs(afterR.mean[c] - refR.mean[c]) < 1, `Reinhard mean ${c}: ${afterR.mean[c]} vs ${refR.mean[c]} (was ${before.mean[c]})`);
    assert.ok(Math.abs(afterR.std[c] - refR.std[c]) < 1, `Reinhard std ${c}: ${afterR.std[c]} vs ${refR.std[c]} (was ${before.std[c]})`);
  }
  assert.ok(Math.max(...[0, 1, 2].map((c) => Math.abs(before.mean[c]! - refR.mean[c]!))) > 3, 'the labs differ to begin with');
  const refM = macenkoStats(reference)!;
  const normalised = macenkoNormalise(other, refM);
  const afterM = macenkoStats(normalised)!;
  assert.ok(cosine(afterM.stains[0], refM.stains[0]) > 0.995 && cosine(afterM.stains[1], refM.stains[1]) > 0.995, 'stain vectors');
  for (const k of [0, 1]) assert.ok(Math.abs(afterM.maxConcentrations[k]! / refM.maxConcentrations[k]! - 1) < 0.03, `max concentration ${k}`);
  // And the picture itself is close to the reference (the same tissue, stained as the reference).
  assert.ok(maxDiff(normalised, reference) < 0.03, `max difference ${maxDiff(normalised, reference)}`);
  assert.ok(maxDiff(other, reference) > 0.1, 'the two labs differ to begin with');
});

test('empty glass is left alone; a stain spec needs a reference with tissue', () => {
  const glass = new Float32Array(N * N * 3).fill(0.94);
  const ref = stainSpecOf('macenko', syntheticTile(RUIFROK_HED), 'ref');
  assert.deepEqual(applyStain(glass, ref), glass);
  assert.deepEqual(applyStain(glass, stainSpecOf('reinhard', syntheticTile(RUIFROK_HED), 'ref')), glass);
  assert.throws(() => stainSpecOf('macenko', glass, 'glass.tif'), /glass\.tif: too little tissue/);
});

test('HED: deconvolution and back is the identity; a pure stain deconvolves to that stain only; jitter is seeded', () => {
  const tile = syntheticTile(RUIFROK_HED);
  assert.ok(maxDiff(hedToRgb(rgbToHed(tile)), tile) < 1e-4);
  assert.ok(maxDiff(hedTransform(tile, [1, 1, 1], [0, 0, 0]), tile) < 1e-4);
  const pureH = syntheticTile([RUIFROK_HED[0]!, [0, 0, 0]]);
  const hed = rgbToHed(pureH.subarray(0, 3)); // inside a nucleus at (0, 0)? use a nucleus pixel:
  const p = (8 * N + 8) * 3;
  const nucleus = rgbToHed(pureH.subarray(p, p + 3));
  assert.ok(nucleus[0]! > 1 && Math.abs(nucleus[1]!) < 0.01 && Math.abs(nucleus[2]!) < 0.01, `${nucleus}`);
  assert.equal(hed.length, 3);
  // Doubling haematoxylin darkens nuclei, leaves eosin-only pixels alone.
  const darker = hedTransform(syntheticTile([RUIFROK_HED[0]!, RUIFROK_HED[1]!]), [2, 1, 1], [0, 0, 0]);
  assert.ok(darker[p]! < tile[p]!);
  const a = randomHed(tile, { sigma: 0.1, bias: 0.02 }, new Rng(3));
  assert.deepEqual(a, randomHed(tile, { sigma: 0.1, bias: 0.02 }, new Rng(3)));
  assert.ok(maxDiff(a, tile) > 0.005 && maxDiff(a, tile) < 0.3);
});

test('quarter turns: four are the identity, one moves the top-right corner to the top-left', () => {
  const shape = { height: 2, width: 2, channels: 1 };
  const img = Float32Array.of(1, 2, 3, 4);
  assert.deepEqual(Array.from(rotate90(img, shape, 1)), [2, 4, 1, 3]);
  assert.deepEqual(Array.from(rotate90(img, shape, 2)), [4, 3, 2, 1]);
  let r: Float32Array = img;
  for (let k = 0; k < 4; k++) r = rotate90(r, shape, 1);
  assert.deepEqual(r, img);
});

test('stain is part of the stored preprocessing: predict applies it; it needs RGB', () => {
  const tile = syntheticTile([[0.55, 0.75, 0.37], [0.15, 0.95, 0.27]], 0.7, 1.4);
  const stain = stainSpecOf('macenko', syntheticTile(RUIFROK_HED), 'ref');
  const spec = parsePreprocessingSpec({ version: 1, input: { height: 24, width: 24, channels: 3 }, stain, normalize: { mean: [0.5, 0.4, 0.6], std: [0.2, 0.2, 0.2] } });
  const got = preprocessImage({ data: tile, rows: N, cols: N, frames: 1, channels: 3, meta: { source: 't', format: 'tiff' } }, spec);
  const expected = applyStain(resizeHwc(tile, N, N, 3, 24, 24, 'linear'), stain).map((v, i) => (v - [0.5, 0.4, 0.6][i % 3]!) / 0.2);
  assert.ok(maxDiff(got, expected) < 1e-5);
  assert.throws(() => parsePreprocessingSpec({ version: 1, input: { height: 8, width: 8, channels: 1 }, stain }), /preprocessing\.stain/);
  assert.throws(() => parsePreprocessingSpec({ version: 1, input: { height: 8, width: 6, channels: 3 }, augment: { rot90: true } }), /rot90/);
  // HED jitter in a training spec changes colours, seeded.
  const aug = buildAugmentation({ version: 1, input: { height: N, width: N, channels: 3 }, augment: { hed: { sigma: 0.2, bias: 0.05 } } });
  const x = aug({ image: tile, label: 0 }, new Rng(1)).image;
  assert.ok(maxDiff(x, tile) > 0.01);
  assert.deepEqual(x, aug({ image: tile, label: 0 }, new Rng(1)).image);
});
