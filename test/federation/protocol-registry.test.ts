/**
 * The protocol registry: coordinator and node resolve the same protocol
 * names from it, and an unknown name fails with the names that exist.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PrivmedError } from '../../src/common/errors.js';
import { aggregatorFromConfig } from '../../src/federation/coordinator/aggregator-from-config.js';
import { parseCoordinatorConfig } from '../../src/federation/coordinator/config.js';
import { defaultNodeAggregation } from '../../src/federation/node/default-node-aggregation.js';
import { PROTOCOL_NAMES, PROTOCOLS, protocolByName, protocolForStage } from '../../src/federation/protocols/registry.js';
import type { ProtocolEntry } from '../../src/federation/protocols/types.js';
import { configError } from './helpers/config-error.js';

const minimal = { insecure: true, allowedNodes: ['alice', 'bob'], database: 'state.db', runName: 'r1', rounds: 1 };

describe('protocol registry', () => {
  it('lists plain, secagg and ckks, plain first (the default)', () => {
    assert.deepEqual(PROTOCOL_NAMES, ['plain', 'secagg', 'ckks']);
    assert.equal(parseCoordinatorConfig(minimal).aggregation, PROTOCOL_NAMES[0]);
  });

  it('gives coordinator and node the same protocol for every name', () => {
    for (const name of PROTOCOL_NAMES) {
      const protocol = protocolByName(name);
      assert.equal(protocol.name, name);
      // Coordinator: the config's aggregation value builds that protocol's aggregator.
      assert.equal(aggregatorFromConfig(parseCoordinatorConfig({ ...minimal, aggregation: name })).name, name);
      // Node: every stage the protocol declares routes back to it.
      const { fit, statistics, steps } = protocol.stages;
      assert.equal(protocolForStage(fit, 'fit')?.name, name);
      if (statistics !== undefined) assert.equal(protocolForStage(statistics, 'statistics')?.name, name);
      for (const step of steps) assert.equal(protocolForStage(step, 'step')?.name, name);
    }
    const stages = (PROTOCOLS as readonly ProtocolEntry[]).flatMap((p) => [p.stages.fit, p.stages.statistics, ...p.stages.steps].filter((s) => s !== undefined));
    assert.equal(new Set(stages).size, stages.length, 'stage names are unique across protocols');
  });

  it('names the known protocols when asked for an unknown one', async () => {
    const error = (() => {
      try {
        protocolByName('bfv');
      } catch (e) {
        return e;
      }
      return null;
    })();
    assert.ok(error instanceof PrivmedError);
    assert.equal(error.message, "unknown aggregation protocol 'bfv' (known: plain, secagg, ckks)");
    assert.match(configError(() => parseCoordinatorConfig({ ...minimal, aggregation: 'bfv' })).message, /'aggregation': expected one of "plain", "secagg", "ckks"/);

    // The node neither guesses nor falls back: an unknown stage is an error.
    const node = defaultNodeAggregation();
    const task = { kind: 'fit' as const, taskId: 't', round: 1, config: {}, tensors: [], stage: 'bfv/setup', payload: Buffer.alloc(0) };
    await assert.rejects(node.afterFit(task, { weights: [], numSamples: 1, metrics: {} }), /aggregation protocol 'bfv\/setup', which this node does not know/);
    await assert.rejects(node.step({ ...task, kind: 'step' }), /aggregation protocol 'bfv\/setup', which this node does not know/);
    assert.equal(protocolForStage('bfv/setup', 'fit'), null);
  });
});
