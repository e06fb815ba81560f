import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dice, hausdorff95, iou, overlaps, scoreCase, summariseCases } from '../../src/metrics/segmentation.js';

/** A w x h image (one slice) with class c inside the box [y0, y1) x [x0, x1). */
function box(h: number, w: number, y0: number, y1: number, x0: number, x1: number, c = 1): Int32Array {
  const out = new Int32Array(h * w);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) out[y * w + x] = c;
  return out;
}

test('Dice and IoU of two overlapping boxes are the hand-computed ones', () => {
  const a = box(10, 10, 2, 6, 2, 6); // 16 pixels
  const b = box(10, 10, 4, 8, 2, 6); // 16 pixels, 8 shared
  const [, o] = overlaps(a, b, 2);
  assert.deepEqual(o, { both: 8, pred: 16, truth: 16 });
  assert.equal(dice(o!), 0.5);
  assert.equal(iou(o!), 8 / 24);
  assert.equal(dice({ both: 0, pred: 0, truth: 0 }), 1, 'a class absent from both is found perfectly');
});

test('HD95 is 0 for identical masks, the shift for a shifted box, NaN for an empty side', () => {
  const s = { depth: 1, height: 20, width: 20 };
  const a = box(20, 20, 5, 12, 5, 12);
  assert.equal(hausdorff95(a, a, 1, s), 0);
  assert.equal(hausdorff95(box(20, 20, 8, 15, 5, 12), a, 1, s), 3, 'a 3-pixel shift');
  assert.equal(hausdorff95(box(20, 20, 8, 15, 5, 12), a, 1, { ...s, spacing: [1, 0.5, 1] }), 1.5, 'in millimetres with anisotropic spacing');
  assert.ok(Number.isNaN(hausdorff95(new Int32Array(400), a, 1, s)));
});

test('a one-voxel erosion of a 3-D box costs the Dice the voxel counts say', () => {
  const s = { depth: 5, height: 5, width: 5 };
  const truth = new Int32Array(125).fill(1);
  const eroded = new Int32Array(125);
  for (let z = 1; z < 4; z++) for (let y = 1; y < 4; y++) for (let x = 1; x < 4; x++) eroded[(z * 5 + y) * 5 + x] = 1;
  const sc = scoreCase(eroded, truth, 2, s);
  assert.equal(sc.dice[0], (2 * 27) / (27 + 125));
  // True surface to eroded surface: 54 face voxels at 1, 36 edge voxels at sqrt 2, 8 corners at sqrt 3; the 95th percentile is a corner's.
  assert.equal(sc.hd95[0], Math.sqrt(3));
  const m = summariseCases([sc, scoreCase(truth, truth, 2, s)]);
  assert.equal(m.n, 2);
  assert.ok(Math.abs(m.meanDice - ((2 * 27) / 152 + 1) / 2) < 1e-12);
});
