/**
 * Augmentation multiplicity: K augmented views per sampled image, averaged
 * before the one clip. The views of one image are adjacent and differ, view 0
 * is the usual augmented image, and the clipped sum equals clipping the mean
 * of each image's view gradients.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ArrayDataset, TransformedDataset } from '../../src/data/dataset.js';
import { ClippedSum, planClipping } from '../../src/dp/sgd/clipping.js';
import { loadViews, ViewAveragingSink } from '../../src/dp/sgd/multiplicity.js';
import { PrivmedError } from '../../src/common/errors.js';

const info = { height: 2, width: 2, channels: 1, classes: ['a', 'b'] };
const base = new ArrayDataset(info, Float32Array.from({ length: 12 }, (_, i) => i), Int32Array.from([0, 1, 0]));
// A random shift of every pixel: each view draws its own.
const jitter = new TransformedDataset(base, (s, rng) => ({ ...s, image: s.image.map((v) => v + rng.next()) }), 7);

describe('augmentation multiplicity', () => {
  it('loads K distinct views per index, adjacent, view 0 being the usual augmented image', async () => {
    const b = await loadViews(jitter, [2, 0], 3);
    assert.equal(b.size, 6);
    assert.deepEqual([...b.y], [0, 0, 0, 0, 0, 0]);
    const row = (r: number) => [...b.x.subarray(r * 4, r * 4 + 4)];
    assert.deepEqual(row(0), [...(await jitter.get(2)).image]);
    assert.deepEqual(row(3), [...(await jitter.get(0)).image]);
    assert.notDeepEqual(row(0), row(1));
    assert.notDeepEqual(row(1), row(2));
    // Each view is the image of its index plus a shift in [0, 1).
    for (let r = 0; r < 3; r++) row(r).forEach((v, p) => assert.ok(v >= 8 + p && v < 9 + p));
    const single = await loadViews(jitter, [1], 1);
    assert.deepEqual([...single.x], [...(await jitter.get(1)).image]);
  });

  it('refuses multiplicity without augmentation, with the fix', async () => {
    await assert.rejects(loadViews(base, [0], 2), (e: unknown) => e instanceof PrivmedError && /needs augmented training data/.test(e.message));
  });

  it('clips the mean of each sample\'s views once', () => {
    const clip = planClipping({ kind: 'flat', norm: 1 }, [{ name: 'w', size: 2, shape: [2] }] as never);
    const direct = new ClippedSum([2], clip);
    const viaViews = new ClippedSum([2], clip);
    const sink = new ViewAveragingSink(viaViews, [2], 2);
    // Sample 1: views (3, 0) and (1, 0): mean (2, 0), clipped to (1, 0). Sample 2: views (0.2, 0) and (0, 0.2): mean (0.1, 0.1), unclipped.
    sink.add([Float32Array.from([3, 0, 1, 0])], 0);
    sink.add([Float32Array.from([3, 0, 1, 0])], 1);
    sink.add([Float32Array.from([0.2, 0])]);
    sink.add([Float32Array.from([0, 0.2])]);
    sink.finish();
    direct.add([Float32Array.from([2, 0])]);
    direct.add([Float32Array.from([0.1, 0.1])]);
    assert.equal(viaViews.samples, 2);
    assert.deepEqual([...viaViews.flat()].map((v) => Number(v.toFixed(6))), [...direct.flat()].map((v) => Number(v.toFixed(6))));
    assert.deepEqual([...viaViews.flat()].map((v) => Number(v.toFixed(6))), [1.1, 0.1]);
    const partial = new ViewAveragingSink(new ClippedSum([2], clip), [2], 2);
    partial.add([Float32Array.from([1, 1])]);
    assert.throws(() => partial.finish(), /1 views is not a multiple of 2/);
  });
});
