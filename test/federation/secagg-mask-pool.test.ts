/**
 * The coordinator's mask removal on worker threads (#18 item 11): ranges of a
 * seekable keystream removed on several threads give exactly the sum the
 * serial removal gives, asynchronously and blocking, and a whole round
 * through the pool decodes the same sum. Idle threads let the process exit.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { applyMask, applyMaskRange } from '../../src/crypto/prg.js';
import { chooseGraphParameters, removeMasksHere, runSecAggRound, type MaskJob } from '../../src/secagg/index.js';
import { MaskPool } from '../../src/federation/protocols/secagg/mask-pool.js';

const pool = new MaskPool(3, 0); // three threads, whatever the size
after(async () => {
  for (const w of await pool.start()) await w.terminate();
});

function randomVector(n: number): Uint32Array {
  return new Uint32Array(randomBytes(n * 4).buffer);
}

test('a mask removed range by range equals the mask removed at once', () => {
  const key = randomBytes(32);
  const start = randomVector(70_001);
  const whole = start.slice();
  applyMask(whole, key, -1);
  const pieces = start.slice();
  for (const [from, to] of [[0, 4], [4, 65_540], [65_540, 70_001]] as const) applyMaskRange(pieces, key, -1, from, to);
  assert.deepEqual(pieces, whole);
  assert.throws(() => applyMaskRange(pieces, key, 1, 3, 10), /not block-aligned/);
});

test('the pool removes the masks exactly as the serial removal does', async () => {
  const jobs: MaskJob[] = Array.from({ length: 7 }, (_, i) => ({ key: randomBytes(32), sign: i % 2 ? 1 : -1 }));
  const start = randomVector(100_003); // not a multiple of the threads or of a block
  const serial = start.slice();
  removeMasksHere(serial, jobs);
  const pooled = start.slice();
  await pool.remove(pooled, jobs);
  assert.deepEqual(pooled, serial);
  const blocking = start.slice();
  pool.removeSync(blocking, jobs, await pool.start());
  assert.deepEqual(blocking, serial);
});

test('a SecAgg round whose masks the pool removes decodes the plain sum', async () => {
  const n = 6;
  const length = 20_001;
  const { degree, threshold } = chooseGraphParameters(n);
  const params = { roundId: 'pool', nodeIds: [1, 2, 3, 4, 5, 6], threshold, degree, vectorLength: length, clip: 1, maxWeight: 100 };
  const values = (id: number) => Array.from({ length }, (_, i) => Math.sin(id * 7 + i) * 0.5);
  const workers = await pool.start();
  const { result } = runSecAggRound({ params, inputs: (id) => ({ values: values(id), weight: 1 }), dropouts: { 'masked-input': [6] }, removeMasks: (acc, jobs) => pool.removeSync(acc, jobs, workers) });
  assert.deepEqual(result.contributors, [1, 2, 3, 4, 5]);
  for (let i = 0; i < length; i += 997) {
    const expected = [1, 2, 3, 4, 5].reduce((s, id) => s + values(id)[i]!, 0);
    assert.ok(Math.abs(result.sum[i]! - expected) <= result.errorBound.value, `coordinate ${i}: ${result.sum[i]} vs ${expected}`);
  }
});

test('a process whose pool is idle exits (a coordinator embedded in a script ends)', () => {
  const script = [
    `import { MaskPool } from ${JSON.stringify(new URL('../../src/federation/protocols/secagg/mask-pool.ts', import.meta.url).href)};`,
    'const p = new MaskPool(2, 0);',
    'await p.remove(new Uint32Array(4096), [{ key: new Uint8Array(32), sign: 1 }]);',
    "process.stdout.write('removed');",
  ].join('\n');
  // Before: the threads kept it alive after the last job (killed here after 30 s).
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.stdout, 'removed', r.stderr);
  assert.equal(r.status, 0, `exit status ${r.status}, signal ${r.signal}: ${r.stderr.slice(-500)}`);
});
