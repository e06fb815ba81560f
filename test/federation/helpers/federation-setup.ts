/**
 * Shared setup of federation tests: a temporary folder with a PKI, and
 * coordinator/node configs pointing into it, with timeouts short enough for tests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initPki, nodeCertPaths, pkiPaths } from '../../../src/net/certs/pki-files.js';
import type { CoordinatorConfigInput } from '../../../src/federation/coordinator/config.js';
import type { NodeConfigInput } from '../../../src/federation/node/config.js';

export interface Federation {
  dir: string;
  pkiDir: string;
  coordinatorConfig(overrides?: Partial<CoordinatorConfigInput>): CoordinatorConfigInput;
  nodeConfig(name: string, address: string, overrides?: Partial<NodeConfigInput>, pkiDir?: string): NodeConfigInput;
  cleanup(): void;
}

export async function makeFederation(nodes: string[], extraNodes: string[] = []): Promise<Federation> {
  const dir = mkdtempSync(join(tmpdir(), 'privmed-fed-'));
  const pkiDir = join(dir, 'pki');
  await initPki({ outDir: pkiDir, nodes: [...nodes, ...extraNodes] });
  const p = pkiPaths(pkiDir);
  return {
    dir,
    pkiDir,
    coordinatorConfig: (overrides = {}) => ({
      address: '127.0.0.1:0',
      tls: { ca: p.caCert, cert: p.coordinatorCert, key: p.coordinatorKey },
      allowedNodes: nodes,
      database: join(dir, 'state.db'),
      runName: 'test-run',
      rounds: 5,
      minNodes: nodes.length,
      roundTimeoutSec: 20,
      waitForNodesTimeoutSec: 30,
      heartbeatIntervalSec: 0.2,
      heartbeatTimeoutSec: 1.5,
      pollTimeoutSec: 2,
      finishGraceSec: 3,
      fit: { localEpochs: 1, learningRate: 0.5, batchSize: 16 },
      ...overrides,
    }),
    nodeConfig: (name, address, overrides = {}, otherPki) => {
      const base = otherPki ?? pkiDir;
      const q = pkiPaths(base);
      const n = nodeCertPaths(base, name);
      return {
        name,
        coordinator: address,
        tls: { ca: q.caCert, cert: n.cert, key: n.key },
        reconnectTimeoutSec: 20,
        callTimeoutSec: 30,
        ...overrides,
      };
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
