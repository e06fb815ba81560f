/**
 * Runs bench/opacus_reference.py when some python3 can import opacus (the
 * project never depends on it): Opacus's DP-SGD step and its non-private step
 * on privmed's small CNN, with as many threads as privmed uses.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { engineChoice } from '../src/engine/native-addon.js';
import { defaultThreadCount } from '../src/engine/wasm-threads.js';

export interface OpacusFigures {
  nonPrivateMs: number;
  dpMs: number;
  threads: number;
  torch: string;
  opacus: string;
}

export function opacusFigures(steps: number): OpacusFigures | { note: string } {
  // Beside this file when run from source, two levels up when run from dist/bench.
  const script = ['./opacus_reference.py', '../../bench/opacus_reference.py']
    .map((rel) => fileURLToPath(new URL(rel, import.meta.url)))
    .find((p) => existsSync(p))!;
  const python = ['python3', '/usr/bin/python3'].find((py) => spawnSync(py, ['-c', 'import opacus'], { encoding: 'utf8' }).status === 0);
  if (!python) return { note: 'Opacus comparison skipped: python3 cannot import opacus (put Opacus 1.4 on PYTHONPATH beside python3-torch to enable)' };
  const threads = engineChoice()?.threads ?? defaultThreadCount();
  const r = spawnSync(python, [script, String(threads), String(steps)], { encoding: 'utf8', timeout: 20 * 60_000 });
  if (r.status !== 0) return { note: `Opacus comparison failed: ${r.stderr.trim().split('\n').pop()}` };
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as OpacusFigures;
}
