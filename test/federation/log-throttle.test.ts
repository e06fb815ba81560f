/**
 * The coordinator's text log caps the lines a node can cause at will (late
 * results, rejoins, refused calls) per node and kind, and says how many it
 * held back; every other line is always written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogThrottle } from '../../src/federation/coordinator/log-throttle.js';
import { describeEvent, type CoordinatorEvent } from '../../src/federation/coordinator/events.js';

function writer(throttle: LogThrottle) {
  const lines: string[] = [];
  return { lines, emit: (e: CoordinatorEvent) => lines.push(...throttle.lines(e, describeEvent(e))) };
}

test('a flood of late results and rejoins from one node is cut per window and counted', () => {
  let now = 0;
  const { lines, emit } = writer(new LogThrottle(3, 1000, () => now));
  for (let i = 0; i < 10; i++) {
    emit({ type: 'late-result', node: 'mallory', taskId: `t${i}` });
    emit({ type: 'node-lost', node: 'mallory', reason: 'the node joined again (restarted?)' });
    emit({ type: 'node-joined', node: 'mallory', rejoined: true });
    emit({ type: 'late-result', node: 'alice', taskId: `a${i}` });
  }
  // Three of each kind and node; alice's own window is untouched by mallory's flood.
  assert.equal(lines.filter((l) => l.includes('of mallory')).length, 3);
  assert.equal(lines.filter((l) => l.includes('mallory rejoined')).length, 3);
  assert.equal(lines.filter((l) => l.includes('mallory lost')).length, 3);
  assert.equal(lines.filter((l) => l.includes('of alice')).length, 3);
  now = 1000;
  emit({ type: 'late-result', node: 'mallory', taskId: 'later' });
  assert.deepEqual(lines.slice(-2), ['(7 more late or unknown results of mallory not shown, within 1 s)', 'discarded a late or unknown result of mallory (task later)']);
});

test('lines a node cannot repeat at will are always written', () => {
  const { lines, emit } = writer(new LogThrottle(1, 60_000, () => 0));
  for (let i = 0; i < 5; i++) {
    emit({ type: 'node-lost', node: 'bob', reason: 'no heartbeat for 6 s' });
    emit({ type: 'node-joined', node: 'bob', rejoined: false });
    emit({ type: 'round-failed', round: 1, attempt: i + 1, reason: 'x', willRetry: true });
  }
  assert.equal(lines.length, 15);
  for (let i = 0; i < 5; i++) emit({ type: 'access-denied', peer: `ipv4:127.0.0.1:${5000 + i}`, reason: 'no certificate' });
  // Refusals share one window whatever the peer's port.
  assert.equal(lines.length, 16);
});
