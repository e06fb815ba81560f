import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusArea, fitWidth } from '../../src/cli/live/status-area.js';
import { humanRenderer } from '../../src/cli/progress.js';
import type { TrainEvent } from '../../src/training/events.js';
import { FakeTty } from '../helpers/fake-tty.js';

/** A clock the test moves by hand. */
function clock(start = 1000) {
  const c = { t: start, now: () => c.t };
  return c;
}

test('on a TTY the live lines are redrawn in place, truncated to the width, and cleared at the end', () => {
  const tty = new FakeTty(true, 60);
  const c = clock();
  const area = new StatusArea(tty, { now: c.now });
  area.update(['first', 'x'.repeat(100)]);
  c.t += 200;
  area.update(['second', 'short']);
  assert.deepEqual(tty.screen(), ['second', 'short'], 'the second draw replaces the first');
  assert.match(tty.text, /\x1b\[1A\r/, 'goes back up with cursor movement and a carriage return');
  const firstDraw = tty.chunks[0]!.split('\x1b[K')[1]!;
  assert.equal(firstDraw.replace('\n', '').length, 59, 'cut to one less than the 60 columns');
  assert.ok(tty.chunks.flatMap((c) => c.split('\n')).every((l) => l.replace(/\x1b\[\d*[AKJ]|\r/g, '').length < 60));
  area.line('a permanent line');
  assert.deepEqual(tty.screen(), ['a permanent line', 'second', 'short'], 'permanent lines go above the live ones');
  area.finish();
  assert.deepEqual(tty.screen(), ['a permanent line'], 'finish clears the live lines only');
});

test('redraws are throttled to the interval, and the latest lines are drawn when it ends', async () => {
  const tty = new FakeTty(true, 60);
  const c = clock();
  const area = new StatusArea(tty, { now: c.now, minIntervalMs: 30 });
  area.update(['1']);
  area.update(['2']);
  area.update(['3']);
  assert.equal(tty.chunks.length, 1, 'one draw within the interval');
  assert.deepEqual(tty.screen(), ['1']);
  c.t += 30;
  await new Promise((r) => setTimeout(r, 80));
  assert.deepEqual(tty.screen(), ['3'], 'the pending lines are drawn after the interval');
  assert.equal(tty.chunks.length, 2);
  area.update(['4'], true);
  assert.deepEqual(tty.screen(), ['4'], 'forced draws are immediate');
  area.finish();
});

test('off a TTY only the permanent lines are written; in JSON mode nothing', () => {
  const pipe = new FakeTty(false);
  const area = new StatusArea(pipe);
  assert.equal(area.live, false);
  area.update(['progress']);
  area.line('summary');
  area.finish();
  assert.equal(pipe.text, 'summary\n');
  const tty = new FakeTty(true);
  const quiet = new StatusArea(tty, { json: true });
  quiet.update(['progress'], true);
  quiet.line('summary');
  quiet.finish();
  assert.equal(tty.text, '', 'JSON mode leaves stderr alone');
});

test('fitWidth keeps short lines and marks cut ones', () => {
  assert.equal(fitWidth('abc', 60), 'abc');
  assert.equal(fitWidth('abcdefghij', 6), 'abcd~');
});

const batch = (step: number): TrainEvent => ({ type: 'batch', epoch: 0, step, stepsPerEpoch: 10, loss: 0.5, samplesPerSec: 100, etaSec: 5 }) as TrainEvent;
const epoch = { type: 'epoch', epoch: 1, epochs: 2, trainLoss: 0.4, lr: 0.001, val: { auc: 0.9, mcc: 0.5, accuracy: 0.8 }, samplesPerSec: 100, seconds: 3, best: true } as unknown as TrainEvent;

test('the training progress bar draws through the status area on a TTY and prints epoch lines everywhere', () => {
  const tty = new FakeTty(true, 60);
  const render = humanRenderer(tty);
  render(batch(10));
  assert.match(tty.screen()[0]!, /^epoch 1 \[#+\] 10\/10 loss 0\.5000/);
  assert.ok(tty.screen()[0]!.length < 60, 'truncated to the terminal');
  render(epoch);
  assert.deepEqual(tty.screen().length, 1, 'the bar is gone, the epoch line stays');
  assert.match(tty.screen()[0]!, /^epoch 1\/2  loss 0\.4000 .*\*best/);
  const pipe = new FakeTty(false);
  const plain = humanRenderer(pipe);
  plain(batch(5));
  plain(epoch);
  assert.equal(pipe.text.split('\n').length, 2, 'no bar off a TTY: only the epoch line');
  assert.doesNotMatch(pipe.text, /\x1b|\r/);
});
