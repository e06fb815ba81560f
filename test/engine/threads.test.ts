import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defaultThreadCount } from '../../src/engine/wasm-threads.js';
import { PrivmedError } from '../../src/common/errors.js';

const CHILD = fileURLToPath(new URL('../fixtures/threads-child.ts', import.meta.url));

interface ChildReport {
  line: string;
  threads: number;
  y: number[];
  dx: number[];
  dw: number[];
}

function runChild(threads: string, env: NodeJS.ProcessEnv = {}): ChildReport {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CHILD], {
    env: { ...process.env, PRIVMED_THREADS: threads, ...env },
    encoding: 'utf8',
    // Bounded: a pthread worker that kept the process alive would fail here, not hang.
    timeout: 120_000,
  });
  assert.equal(r.status, 0, `child with PRIVMED_THREADS=${threads} failed (signal ${r.signal}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as ChildReport;
}

function assertClose(a: number[], b: number[], what: string): void {
  assert.equal(a.length, b.length, what);
  const scale = Math.max(1, ...b.map(Math.abs));
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= 1e-5 * scale, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

test('PRIVMED_THREADS picks the wasm thread count; unset means one per core', () => {
  assert.equal(defaultThreadCount({}), Math.max(1, availableParallelism()));
  assert.equal(defaultThreadCount({ PRIVMED_THREADS: '3' }), 3);
  for (const bad of ['0', '-2', '1.5', 'two', '65']) {
    assert.throws(() => defaultThreadCount({ PRIVMED_THREADS: bad }), (e: unknown) => e instanceof PrivmedError && e.message.includes(`PRIVMED_THREADS`) && e.message.includes(`'${bad}'`));
  }
});

test('the threaded wasm build runs with the requested threads, gives the single-thread results and lets the process exit', () => {
  const one = runChild('1');
  const two = runChild('2');
  const three = runChild('3');
  assert.equal(one.threads, 1);
  assert.match(one.line, /wasm simd, 1 thread\b/);
  assert.equal(two.threads, 2);
  assert.match(two.line, /wasm simd, 2 threads\b/);
  assert.equal(three.threads, 3);
  for (const other of [two, three]) {
    assertClose(other.y, one.y, 'conv output');
    assertClose(other.dx, one.dx, 'input gradient');
    assertClose(other.dw, one.dw, 'filter gradient');
  }
});

test('PRIVMED_ENGINE=wasm runs the wasm kernels, says so, and computes what the default engine computes', () => {
  const wasm = runChild('2', { PRIVMED_ENGINE: 'wasm' });
  assert.match(wasm.line, /^engine: wasm simd, 2 threads \(PRIVMED_ENGINE=wasm; privmed kernels: /);
  const auto = runChild('2', { PRIVMED_ENGINE: '' });
  assert.match(auto.line, /^engine: (native (avx512|avx2), 2 threads|wasm simd, 2 threads \(native add-on)/);
  assertClose(auto.y, wasm.y, 'conv output');
  assertClose(auto.dx, wasm.dx, 'input gradient');
  assertClose(auto.dw, wasm.dw, 'filter gradient');
});

test('a bad PRIVMED_ENGINE or PRIVMED_NATIVE_ISA is a clear error naming the variable and the value', () => {
  for (const [key, value] of [['PRIVMED_ENGINE', 'gpu'], ['PRIVMED_NATIVE_ISA', 'sse9']] as const) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', CHILD], { env: { ...process.env, PRIVMED_ENGINE: '', [key]: value }, encoding: 'utf8', timeout: 120_000 });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, new RegExp(`${key} must be .*got '${value}'`));
  }
});
