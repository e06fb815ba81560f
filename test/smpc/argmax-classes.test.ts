/**
 * Encrypted argmax over K classes (histopathology has 8): the class index
 * that comes back equals plaintext argmax (ties to the first class) for every
 * position of the maximum, negative and equal logits, and the dealer's
 * material matches the plan for each K.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkPlan, ringArgmax, runInProcess, type Plan } from '../../src/smpc/index.js';

function ringOf(values: number[]): BigUint64Array {
  return BigUint64Array.from(values, (v) => BigInt.asUintN(64, BigInt(v)));
}

/** The logits are the input itself (a 1x1xK sum pool), so each case is the argmax alone. */
function argmaxPlan(k: number): Plan {
  const p: Plan = {
    version: 1,
    input: { name: 'x', shape: [1, 1, k], fractionBits: 12, limit: 1e9 },
    ops: [{ kind: 'sumpool', input: 'x', output: 'l', positions: 1, channels: k }],
    tensors: { x: { size: k, scale: 12 }, l: { size: k, scale: 12 } },
    logits: 'l',
    classes: k,
    argmaxWindow: 40,
    revealLogits: false,
  };
  checkPlan(p);
  return p;
}

test('argmax over 8 classes: the maximum at every position, ties and negatives, as plaintext argmax', async () => {
  const cases: number[][] = [];
  // The maximum at each of the 8 positions, the rest negative and positive.
  for (let at = 0; at < 8; at++) cases.push(Array.from({ length: 8 }, (_, j) => (j === at ? 5000 : ((j * 37) % 11) * 100 - 600)));
  cases.push([3, 3, 3, 3, 3, 3, 3, 3]); // all equal: class 0
  cases.push([-9, -2, -7, -2, -3, -8, -2, -5]); // a three-way tie of negatives: the first, class 1
  cases.push([0, 1, 0, 1, 0, 1, 0, 2]); // the last wins by one unit
  cases.push([2 ** 30, -(2 ** 30), 2 ** 30 - 1, 0, 2 ** 30, 5, 6, 7]); // near the window's edge, tie to the first
  const r = await runInProcess(argmaxPlan(8), new Map(), cases.map(ringOf));
  assert.equal(r.results.length, cases.length);
  cases.forEach((v, i) => {
    const want = ringArgmax(ringOf(v));
    assert.equal(want, v.indexOf(Math.max(...v)), 'the reference is plaintext argmax');
    assert.equal(r.results[i]!.classIndex, want, `argmax of [${v.join(', ')}]`);
    assert.equal(r.results[i]!.logits, undefined, 'the logits stay secret');
  });
});

test('argmax for K = 2 to 16 on random logits', async () => {
  let seed = 12345;
  const next = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % 20001) - 10000;
  for (const k of [2, 3, 5, 8, 16]) {
    const cases = Array.from({ length: 3 }, () => Array.from({ length: k }, next));
    const r = await runInProcess(argmaxPlan(k), new Map(), cases.map(ringOf));
    cases.forEach((v, i) => assert.equal(r.results[i]!.classIndex, v.indexOf(Math.max(...v)), `K=${k}: argmax of [${v.join(', ')}]`));
  }
});
