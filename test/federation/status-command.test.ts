import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerStatusCommand } from '../../src/cli/commands/status.js';
import type { NodeAggregation } from '../../src/federation/node/node-aggregation.js';
import { PlainNodeAggregation } from '../../src/federation/protocols/plain/node.js';
import { captureStdout } from './helpers/capture-stdout.js';
import { makeFederation, type Federation } from './helpers/federation-setup.js';
import { runInProcess } from './helpers/in-process.js';
import { LogisticTrainer, zeroModel } from './fixtures/logistic-trainer.js';
import { FEATURES, nodeData } from './fixtures/synthetic-data.js';

const wrongShape: NodeAggregation = {
  step: (t) => new PlainNodeAggregation().step(t),
  async afterFit(task, output) {
    const reply = await new PlainNodeAggregation().afterFit(task, output);
    reply.tensors![1] = { name: 'dense/bias', shape: [2], data: new Float32Array(2) };
    return reply;
  },
};

async function status(...args: string[]): Promise<string> {
  const program = new Command().exitOverride();
  registerStatusCommand(program);
  return captureStdout(() => program.parseAsync(['node', 'privmed', 'status', ...args]));
}

describe('privmed status', () => {
  let fed: Federation;
  let database: string;
  before(async () => {
    fed = await makeFederation(['alice', 'bob', 'charlie']);
    database = join(fed.dir, 'state.db');
    const nodes = ['alice', 'bob', 'charlie'].map((name, i) => ({
      name,
      trainer: new LogisticTrainer(nodeData(i).train, nodeData(i).val),
      aggregation: name === 'charlie' ? wrongShape : undefined,
    }));
    const run = await runInProcess(fed, fed.coordinatorConfig({ database, runName: 'pneumonia-fl', rounds: 2, minNodes: 2, minAvailableNodes: 3 }), nodes, {
      initialWeights: zeroModel(FEATURES),
    });
    assert.equal(run.result.status, 'completed');
  });
  after(() => fed.cleanup());

  it('summarises a run: status, rounds, best round and refused nodes', async () => {
    const text = await status('--db', database);
    assert.match(text, /^run pneumonia-fl: completed - 2 rounds completed; best round \d \(mcc 0\.\d{4}\)/);
    assert.match(text, /strategy fedavg, 2 of 2 rounds completed/);
    // Round 1: one try, two updates accepted, one refused, none dropped.
    assert.match(text, /^\s+1\s+completed\s+1\s+2\/1\/0\s+0\.\d{4}/m);
    assert.match(text, /^\s+charlie refused$/m);
  });

  it('prints JSON on request and refuses unknown databases and runs', async () => {
    const [run] = JSON.parse(await status('--db', database, '--json')) as { name: string; rounds: { fit: { rejected: string[] } }[] }[];
    assert.equal(run!.name, 'pneumonia-fl');
    assert.deepEqual(run!.rounds[0]!.fit.rejected, ['charlie']);
    await assert.rejects(status('--db', join(fed.dir, 'missing.db')), /missing\.db: no such database/);
    await assert.rejects(status('--db', database, '--run', 'other'), /has no run named 'other'/);
  });
});
