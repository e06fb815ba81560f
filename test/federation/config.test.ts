import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseCoordinatorConfig } from '../../src/federation/coordinator/config.js';
import { parseNodeConfig } from '../../src/federation/node/config.js';
import { configError } from './helpers/config-error.js';

const tls = { ca: 'ca.crt', cert: 'c.crt', key: 'c.key' };
const minimal = { tls, allowedNodes: ['alice', 'bob'], database: 'state.db', runName: 'r1', rounds: 3 };


describe('coordinator config', () => {
  it('fills in defaults', () => {
    const c = parseCoordinatorConfig(minimal);
    assert.equal(c.minNodes, 2);
    assert.deepEqual(c.strategy, { name: 'fedavg' });
    assert.deepEqual(c.fit, { localEpochs: 1 });
    assert.equal(c.evaluate.metric, 'mcc');
    assert.equal(c.limits.maxMessageBytes, 4 * 1024 * 1024);
  });

  it('names the key path, what was expected and what came', () => {
    assert.equal(configError(() => parseCoordinatorConfig({ ...minimal, rounds: 'ten' })).message, "config key 'rounds': expected a number, got \"ten\"");
    assert.equal(
      configError(() => parseCoordinatorConfig({ ...minimal, strategy: { name: 'fedsgd' } }, 'coord.yaml')).message,
      'coord.yaml: config key \'strategy.name\': expected one of "fedavg", "fedprox", "fedadam", got "fedsgd"',
    );
    assert.equal(configError(() => parseCoordinatorConfig({ ...minimal, strategy: { name: 'fedprox' } })).message, "config key 'strategy.mu': expected a number, got nothing (the key is missing)");
    assert.match(configError(() => parseCoordinatorConfig({ ...minimal, allowedNodes: ['alice', 'bad name'] })).message, /'allowedNodes\[1\]': expected a node name/);
    assert.match(configError(() => parseCoordinatorConfig({ ...minimal, roundTimeoutsec: 5 })).message, /'roundTimeoutsec': unknown key/);
    assert.match(configError(() => parseCoordinatorConfig({ ...minimal, minNodes: 3 })).message, /'minNodes': expected at most the 2 allowed nodes, got 3/);
    assert.match(configError(() => parseCoordinatorConfig({ ...minimal, fit: { localEpochs: 1, syncEveryNBatches: 5 } })).message, /'fit.localEpochs': expected exactly one of localEpochs and syncEveryNBatches/);
    assert.match(configError(() => parseCoordinatorConfig({ ...minimal, limits: { chunkBytes: 10 } })).message, /'limits.chunkBytes': expected a number >= 1024, got 10/);
  });

  it('requires TLS unless insecure: true is said explicitly', () => {
    const { tls: _tls, ...withoutTls } = minimal;
    assert.match(configError(() => parseCoordinatorConfig(withoutTls)).message, /'tls': expected tls settings/);
    assert.match(configError(() => parseCoordinatorConfig({ ...minimal, insecure: true })).message, /'tls'/);
    assert.equal(parseCoordinatorConfig({ ...withoutTls, insecure: true }).insecure, true);
    assert.match(configError(() => parseCoordinatorConfig({ ...withoutTls, insecure: false })).message, /'insecure': expected one of true/);
  });

  it('refuses best-round selection and early stopping under privacy (uncharged releases of validation scores)', () => {
    const privacy = { noiseMultiplier: 1, maxSampleRate: 0.1, maxStepsPerRound: 10 };
    assert.match(configError(() => parseCoordinatorConfig({ ...minimal, privacy, evaluate: { select: 'best' } })).message, /'evaluate.select': expected 'last' under privacy/);
    assert.match(configError(() => parseCoordinatorConfig({ ...minimal, privacy, evaluate: { patience: 2 } })).message, /'evaluate.patience': expected no early stopping under privacy/);
    assert.equal(parseCoordinatorConfig({ ...minimal, privacy }).evaluate.select, undefined);
  });

  it('passes extra fit keys through to the trainer', () => {
    assert.deepEqual(parseCoordinatorConfig({ ...minimal, fit: { syncEveryNBatches: 10, learningRate: 0.01, optimizer: 'adam' } }).fit, {
      syncEveryNBatches: 10,
      learningRate: 0.01,
      optimizer: 'adam',
    });
    assert.match(configError(() => parseCoordinatorConfig({ ...minimal, fit: { localEpochs: 1, schedule: [1, 2] } })).message, /'fit.schedule'/);
  });
});

describe('node config', () => {
  it('validates and fills defaults', () => {
    const c = parseNodeConfig({ name: 'alice', coordinator: '127.0.0.1:50051', tls });
    assert.equal(c.reconnectTimeoutSec, 120);
    assert.match(configError(() => parseNodeConfig({ name: 'alice', tls })).message, /'coordinator': expected a string, got nothing/);
  });
});
