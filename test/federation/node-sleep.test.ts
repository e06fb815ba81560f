/** The node's waits between polls and retries leave no listener on its stop signal (one was left per wait). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { sleep } from '../../src/federation/node/grpc-failures.js';

test('a wait that ends removes its abort listener; an abort still ends a wait at once', async () => {
  const stop = new AbortController();
  for (let i = 0; i < 50; i++) await sleep(1, stop.signal);
  assert.equal(getEventListeners(stop.signal, 'abort').length, 0);
  const waiting = sleep(60_000, stop.signal);
  assert.equal(getEventListeners(stop.signal, 'abort').length, 1);
  stop.abort();
  const first = await Promise.race([waiting.then(() => 'ended'), new Promise((r) => setImmediate(() => r('still waiting')))]);
  assert.equal(first, 'ended');
  assert.equal(getEventListeners(stop.signal, 'abort').length, 0);
});
