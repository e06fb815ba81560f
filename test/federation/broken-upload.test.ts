/**
 * A node whose upload breaks (its connection dropped mid-stream) gets the
 * same task again and sends the same reply: it does not train again, and a
 * SecAgg+ node whose masked input was cut off does not refuse the retry as
 * "already sent" (the 100-node bench lost most of a round that way under
 * load). bob talks to the coordinator through a proxy that drops his
 * connection once, in the middle of his masked-input upload.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { startCoordinator } from '../../src/federation/coordinator/run-coordinator.js';
import type { CoordinatorEvent } from '../../src/federation/coordinator/events.js';
import { runNode } from '../../src/federation/node/run-node.js';
import { defaultNodeAggregation } from '../../src/federation/node/default-node-aggregation.js';
import type { NodeAggregation } from '../../src/federation/node/node-aggregation.js';
import { SECAGG_STAGES } from '../../src/federation/protocols/secagg/envelope.js';
import { refusalOf } from '../../src/federation/wire/refusal.js';
import type { LocalTrainer } from '../../src/site/local-trainer.js';
import { makeFederation, type Federation } from './helpers/federation-setup.js';

const LENGTH = 50_000; // a 200 kB masked vector: many TLS records, so the cut lands inside the upload

/** Forwards 127.0.0.1 connections to `port`; once armed, drops them when 8 kB more have gone upstream. */
async function proxy(port: number): Promise<{ port: number; arm(): void; cuts: number; close(): void }> {
  const sockets = new Set<Socket>();
  let armedAt: number | null = null;
  let upstream = 0;
  const state = { port: 0, cuts: 0, arm: () => (armedAt = upstream), close: () => undefined as void };
  const server: Server = createServer((client) => {
    const target = connect(port, '127.0.0.1');
    sockets.add(client).add(target);
    client.on('data', (chunk: Buffer) => {
      upstream += chunk.length;
      if (armedAt !== null && upstream - armedAt > 8192) {
        armedAt = null;
        state.cuts++;
        for (const s of sockets) s.destroy();
        return;
      }
      target.write(chunk);
    });
    target.pipe(client);
    for (const s of [client, target]) s.on('error', () => undefined).on('close', () => sockets.delete(s));
    client.on('close', () => target.destroy());
    target.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as { port: number }).port;
  state.close = () => {
    for (const s of sockets) s.destroy();
    server.close();
  };
  return state;
}

function stepTrainer(seed: number, fits: { n: number }): LocalTrainer {
  return {
    async fit(weights, config) {
      fits.n++;
      return { weights: weights.map((w) => w.map((v, i) => v + 0.001 * Math.sin(seed + i + config.round))), numSamples: 10 + seed, metrics: {} };
    },
    async evaluate() {
      return { numSamples: 10, metrics: { loss: 1 } };
    },
  };
}

describe('a broken upload is sent again', () => {
  let fed: Federation | undefined;
  after(() => fed?.cleanup());

  it('SecAgg+: bob`s masked input, cut off once, is resent and summed; he trained once per round', async () => {
    fed = await makeFederation(['alice', 'bob', 'carol']);
    const events: CoordinatorEvent[] = [];
    const handle = await startCoordinator(
      fed.coordinatorConfig({ rounds: 1, aggregation: 'secagg', secagg: { clip: 1, stageTimeoutSec: 30 }, heartbeatTimeoutSec: 10 }),
      { log: false, initialWeights: [{ name: 'w', shape: [LENGTH], data: new Float32Array(LENGTH) }], onEvent: (e) => events.push(e) },
    );
    const bobProxy = await proxy(handle.port);
    try {
      const tls = fed.nodeConfig('bob', '').tls!;
      const inner = defaultNodeAggregation({ credentials: { name: 'bob', certPem: readFileSync(tls.cert, 'utf8'), keyPem: readFileSync(tls.key, 'utf8'), caPem: readFileSync(tls.ca, 'utf8') } });
      let armed = false;
      const refusals: string[] = [];
      const bobAggregation: NodeAggregation = {
        afterFit: (task, output) => inner.afterFit(task, output),
        async step(task) {
          const reply = await inner.step(task);
          const refusal = refusalOf(reply.payload);
          if (refusal) refusals.push(refusal);
          // The fit round's masked input (the evaluation sum has one too, later).
          if (task.stage === SECAGG_STAGES.maskedInput && !armed) {
            armed = true;
            bobProxy.arm();
          }
          return reply;
        },
        evaluation: (task, output) => inner.evaluation!(task, output),
      };
      const fits = new Map(['alice', 'bob', 'carol'].map((n) => [n, { n: 0 }]));
      const runs = ['alice', 'bob', 'carol'].map((name, i) =>
        runNode(fed!.nodeConfig(name, `127.0.0.1:${name === 'bob' ? bobProxy.port : handle.port}`), stepTrainer(i, fits.get(name)!), {
          log: process.env.DEBUG_BROKEN ? (l: string) => process.stderr.write(`${name}: ${l}\n`) : false,
          onEvent: process.env.DEBUG_BROKEN ? (e) => process.stderr.write(`${name}: ${JSON.stringify(e)}\n`) : undefined,
          heartbeatThread: false,
          ...(name === 'bob' ? { aggregation: bobAggregation } : {}),
        }).catch((e: Error) => e),
      );
      const result = await handle.finished;
      for (const r of await Promise.all(runs)) assert.ok(!(r instanceof Error), String(r));
      assert.equal(result.status, 'completed', result.message);
      assert.equal(bobProxy.cuts, 1, 'his connection was dropped in the upload');
      assert.deepEqual(refusals, [], 'his node side never had to refuse (e.g. "the masked input was already sent")');
      const bob = events.filter((e) => e.type === 'result' && e.node === 'bob');
      assert.deepEqual(bob.map((e) => e.type === 'result' && e.status), ['accepted'], JSON.stringify(bob));
      const completed = events.find((e) => e.type === 'round-completed');
      assert.equal(completed?.type === 'round-completed' && completed.fitMetrics.nodes, 3, 'all three in the sum');
      assert.deepEqual([...fits.values()].map((f) => f.n), [1, 1, 1], 'one fit each');
    } finally {
      bobProxy.close();
      await handle.close();
    }
  });
});
