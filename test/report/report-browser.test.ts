/**
 * `privmed report` on a real run: a 3-hospital SecAgg federation with DP-SGD
 * (real processes, mutual TLS), small real attack runs written as `privmed
 * attack` writes them, then the HTML report rendered in headless Chromium
 * (Debian's chromium through playwright-core; nothing downloaded): every
 * section is there with text, every plot has drawn content, every grid
 * image decodes. The pages go to PNG; the first is kept in
 * test-output/report/ as the CI artefact.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { parseWith } from '../../src/common/config-file.js';
import { SimulationSchema } from '../../src/simulation/config.js';
import { simulate } from '../../src/simulation/simulate.js';
import { initBackend } from '../../src/engine/backend.js';
import { loadMedMnist } from '../../src/data/medmnist.js';
import { SubsetDataset } from '../../src/data/dataset.js';
import { runAudit, runInversion, runMembership } from '../../src/attacks/index.js';
import { SECTIONS } from '../../src/report/report.js';
import { needData } from '../helpers/data.js';

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
const ARTEFACTS = join(import.meta.dirname, '..', '..', 'test-output', 'report');
const CHROMIUM = [process.env.PRIVMED_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p): p is string => !!p && existsSync(p));

test('privmed report of a DP SecAgg federation renders every section and plot in Chromium', { skip: CHROMIUM ? false : 'chromium not installed: apt-get install chromium', timeout: 1_500_000 }, async (t) => {
  const file = needData(t, 'pneumoniamnist/pneumoniamnist.npz');
  if (!file) return;
  const out = mkdtempSync(join(tmpdir(), 'privmed-report-'));
  const lines: string[] = [];
  const cfg = parseWith(SimulationSchema, {
    sites: 3,
    data: { root: dirname(dirname(file)), partition: { kind: 'dirichlet', alpha: 0.5 } },
    model: { arch: 'small-cnn', norm: 'group' },
    training: { batchSize: 32, augment: false },
    privacy: { targetEpsilon: 8, clipNorm: 1, delta: 1e-5, sampling: 'poisson' },
    federation: { rounds: 2, minNodes: 3, aggregation: 'secagg', fit: { syncEveryNBatches: 4 } },
    output: out,
  });
  const r = await simulate(cfg, { onLine: (source, line) => lines.push(`${source}: ${line}`) });
  assert.equal(r.status, 'completed', lines.slice(-30).join('\n'));

  // Small real attacks, stored as `privmed attack ... --out <run>/attacks` stores them.
  await initBackend('wasm');
  const attacks = join(out, 'attacks');
  mkdirSync(attacks);
  const train = (await loadMedMnist(file)).splits.train;
  const pool = (n: number) => new SubsetDataset(train, Array.from({ length: n }, (_, i) => i));
  const audit = await runAudit({ pool: pool(300), canaries: 100, baseSize: 200, epsilon: 8, delta: 1e-5, clipNorm: 1, epochs: 1, batchSize: 32, lr: 0.05, seed: 1, ledger: join(attacks, 'audit-ledger.sqlite') });
  writeFileSync(join(attacks, 'audit.json'), JSON.stringify(audit));
  const rows = await runInversion({ pool: pool(16), normalisation: { mean: [0.5], std: [0.25] }, targets: ['plain', 'secagg', 'ckks'], batches: [1], nodes: 2, iterations: 150, restarts: 1, lr: 0.01, seed: 1, dp: { noiseMultiplier: 1, clipNorm: 1, delta: 1e-5, ledger: join(attacks, 'inv.sqlite') }, outDir: attacks });
  writeFileSync(join(attacks, 'inversion.json'), JSON.stringify({ settings: { iterations: 150 }, rows }));
  const mia = await runMembership({ pool: pool(100), models: 4, epochs: 1, batchSize: 32, lr: 0.05, seed: 1, settings: [{ name: 'non-private', privacy: null }, { name: 'eps 8', privacy: { epsilon: 8, delta: 1e-5, clipNorm: 1, ledger: join(attacks, 'mia.sqlite') } }] });
  writeFileSync(join(attacks, 'membership.json'), JSON.stringify({ settings: { pool: 100 }, rows: mia }));

  const html = join(out, 'report.html');
  const cli = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'report', '--run', join(out, 'federation.sqlite'), '--out', html, '--data-root', dirname(dirname(file)), '--pdf'], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(cli.status, 0, cli.stderr);
  assert.equal(readFileSync(join(out, 'report.pdf')).subarray(0, 5).toString('latin1'), '%PDF-', '--pdf printed the report through Chromium');
  const text = readFileSync(html, 'utf8');
  assert.ok(!/(src|href)="(https?:|\/\/)/.test(text), 'no external assets');

  const browser = await chromium.launch({ executablePath: CHROMIUM!, headless: true, args: ['--no-sandbox'], timeout: 120_000 });
  try {
    const page = await browser.newPage({ viewport: { width: 1000, height: 1400 } });
    await page.goto(pathToFileURL(html).href);
    for (const id of SECTIONS) {
      const len = await page.locator(`#report-${id}`).evaluate((el) => (el.textContent ?? '').trim().length);
      assert.ok(len > 40, `section ${id} has content (${len} characters)`);
    }
    const plots = await page.locator('figure.plot svg').evaluateAll((svgs) =>
      svgs.map((s) => ({ title: s.querySelector('title')?.textContent ?? s.parentElement?.textContent?.slice(0, 60), drawn: s.querySelectorAll('path[d]:not([d=""]), circle, rect').length, w: s.getBoundingClientRect().width })),
    );
    // federation AUC, epsilon per site, ROC, confusion, calibration, membership ROC.
    assert.ok(plots.length >= 6, `plots: ${JSON.stringify(plots)}`);
    for (const p of plots) assert.ok(p.drawn > 3 && p.w > 100, `plot has content: ${JSON.stringify(p)}`);
    const grids = await page.locator('figure.grid img').evaluateAll((imgs) => imgs.map((i) => (i as unknown as { naturalWidth: number }).naturalWidth));
    assert.equal(grids.length, 2, 'grids for the plain and secagg targets (CKKS is refused)');
    assert.ok(grids.every((w) => w > 0), 'grids decode');
    assert.match(await page.locator('#report-attacks').innerText(), /refused/);
    // PNG pages of A4 proportions.
    const height = await page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollHeight: number } } }).document.documentElement.scrollHeight);
    const pageH = 1414;
    const pages = Math.ceil(height / pageH);
    mkdirSync(ARTEFACTS, { recursive: true });
    for (let i = 0; i < pages; i++) {
      const png = await page.screenshot({ fullPage: true, clip: { x: 0, y: i * pageH, width: 1000, height: Math.min(pageH, height - i * pageH) } });
      assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]);
      if (i === 0) writeFileSync(join(ARTEFACTS, 'report-page-1.png'), png);
    }
    assert.ok(pages >= 3, `${pages} pages`);
  } finally {
    await browser.close();
  }
});
