import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadYamlConfig, readYamlFile } from '../../src/common/config-file.js';
import { TrainConfigSchema } from '../../src/site/train-config.js';
import { SimulationSchema } from '../../src/simulation/config.js';
import { TuneSchema } from '../../src/tuning/tune.js';
import { NodeJobSchema } from '../../src/cli/commands/node.js';
import { parseCoordinatorConfig } from '../../src/federation/coordinator/config.js';

const DIR = join(import.meta.dirname, '..', '..', 'examples');
const validators: Record<string, (file: string) => unknown> = {
  'train-': (f) => loadYamlConfig(TrainConfigSchema, f),
  'seg-': (f) => loadYamlConfig(TrainConfigSchema, f),
  'kather-central': (f) => loadYamlConfig(TrainConfigSchema, f),
  'kather-federated': (f) => loadYamlConfig(SimulationSchema, f),
  'dp-central': (f) => loadYamlConfig(TrainConfigSchema, f),
  'dp-federated': (f) => loadYamlConfig(SimulationSchema, f),
  'simulate': (f) => loadYamlConfig(SimulationSchema, f),
  'tune': (f) => loadYamlConfig(TuneSchema, f),
  'node': (f) => loadYamlConfig(NodeJobSchema, f),
  'coordinator': (f) => parseCoordinatorConfig(readYamlFile(f), f),
};

test('every example config is valid for its command', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml'));
  assert.ok(files.length >= 5);
  for (const f of files) {
    const prefix = Object.keys(validators).find((p) => f.startsWith(p));
    assert.ok(prefix, `no validator for examples/${f}`);
    assert.doesNotThrow(() => validators[prefix!]!(join(DIR, f)), `examples/${f}`);
  }
});
