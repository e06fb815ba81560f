/**
 * The README's makePrivate example, run as written: the lines between the
 * marker and the end of the code block go into a module that imports
 * 'privmed' itself (the package's own name, resolved to this build), after a
 * prelude that gives it a model, data and an optimizer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

function example(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const m = /<!-- make-private-example -->\s*```js\n([\s\S]*?)```/.exec(readme);
  assert.ok(m, 'README has the make-private-example block');
  return m[1]!;
}

test('the README makePrivate example runs as written and charges the ledger', { skip: !existsSync(join(ROOT, 'dist/src/index.js')) && 'needs npm run build' }, () => {
  const lines = example().trimEnd().split('\n');
  assert.ok(lines.length <= 5, `the example has ${lines.length} lines`);
  const prelude = [
    "import * as tf from '@tensorflow/tfjs-core';",
    "import { ArrayDataset, buildModel, initBackend } from 'privmed';",
    "await initBackend('wasm');",
    "const model = buildModel({ arch: 'small-cnn', inputShape: [8, 8, 1], numClasses: 2, norm: 'group' });",
    'const n = 256; const x = new Float32Array(n * 64); const y = new Int32Array(n);',
    'for (let i = 0; i < n; i++) { y[i] = i % 2; for (let p = 0; p < 64; p++) x[i * 64 + p] = (p < 32) === (y[i] === 1) ? 0.9 : 0.1; }',
    "const data = new ArrayDataset({ height: 8, width: 8, channels: 1, classes: ['a', 'b'] }, x, y);",
    'const optimizer = tf.train.sgd(0.1);',
  ];
  const imports = lines.filter((l) => l.startsWith('import '));
  const body = lines.filter((l) => !l.startsWith('import '));
  // A module inside the package, so that 'privmed' resolves to this checkout.
  const dir = mkdtempSync(join(ROOT, 'dist', 'readme-example-'));
  const cwd = mkdtempSync(join(tmpdir(), 'privmed-readme-'));
  try {
    const file = join(dir, 'example.mjs');
    writeFileSync(file, [...imports, ...prelude, ...body].join('\n') + '\n');
    const r = spawnSync(process.execPath, [file], { cwd, encoding: 'utf8', timeout: 120_000, env: { ...process.env, PRIVMED_THREADS: '1' } });
    assert.equal(r.status, 0, r.stderr);
    const m = /^epsilon (\d+\.\d+) at delta 0\.00001$/m.exec(r.stdout);
    assert.ok(m, `printed: ${r.stdout}`);
    const eps = Number(m[1]);
    assert.ok(eps > 1 && eps <= 8, `epsilon ${eps}`);
    assert.ok(existsSync(join(cwd, 'privacy-ledger.sqlite')), 'the ledger file is where the example put it');
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(cwd, { recursive: true, force: true });
  }
});
