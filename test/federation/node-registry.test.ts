/**
 * Heartbeat sweeps with a hand-driven clock. A coordinator that did not run
 * for a while (a long synchronous stretch, a starved machine) has not read
 * the heartbeats waiting in its sockets; its first sweep after that must not
 * end their sessions (#18: under load 16-17 a live node was declared lost).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NodeRegistry } from '../../src/federation/coordinator/node-registry.js';

function registry() {
  let now = 0;
  const reg = new NodeRegistry(1500, () => now);
  const lost: string[] = [];
  reg.onLost((s, reason) => lost.push(`${s.node}: ${reason}`));
  return { reg, lost, at: (t: number) => (now = t) };
}

describe('node registry sweeps', () => {
  it('ends a session silent for longer than the timeout, at the sweeps it runs on time', () => {
    const { reg, lost, at } = registry();
    assert.equal(reg.sweepIntervalMs, 375);
    const alive = reg.join('alive').session;
    reg.join('dead');
    for (let t = 375; t <= 3000; t += 375) {
      at(t);
      reg.touch(alive);
      reg.sweep();
    }
    assert.deepEqual(lost, ['dead: no heartbeat for 2 s']);
    assert.deepEqual(reg.liveNodes(), ['alive']);
  });

  it('does not end sessions at the first sweep after a stall, and does at the next one if they stay silent', () => {
    const { reg, lost, at } = registry();
    const alive = reg.join('alive').session;
    reg.join('dead');
    at(375);
    reg.touch(alive);
    reg.sweep();
    // The process stalls for 4 s: both nodes look silent, but alive's heartbeats sit unread.
    at(4375);
    reg.sweep();
    assert.deepEqual(lost, [], 'a late sweep ends nothing');
    reg.touch(alive); // the queued heartbeat is read
    at(4750);
    reg.sweep();
    assert.deepEqual(lost, ['dead: no heartbeat for 5 s']);
    assert.deepEqual(reg.liveNodes(), ['alive']);
  });
});
