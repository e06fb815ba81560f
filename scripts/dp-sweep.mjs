#!/usr/bin/env node
// The AUC-against-epsilon sweep of docs/dp-recipes.md, reproducible.
//   node scripts/dp-sweep.mjs run central|federated EPS... [--out DIR] [--config FILE]   (needs `npm run build`; appends to DIR/results.jsonl)
//   node scripts/dp-sweep.mjs report DIR [IMGDIR]                       (markdown table on stdout, SVG + PNG plot in IMGDIR)
// Each run uses examples/dp-<kind>.yaml with privacy.targetEpsilon replaced; every epsilon
// reported is the one each site's ledger holds at the end, never the config's.
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';

const [command, ...rest] = process.argv.slice(2);
const outFlag = rest.indexOf('--out');
const outDir = resolve(outFlag >= 0 ? rest.splice(outFlag, 2)[1] : 'runs/dp-sweep');
const configFlag = rest.indexOf('--config');
const configFile = configFlag >= 0 ? rest.splice(configFlag, 2)[1] : null;

function run(kind, epsilons) {
  if (kind !== 'central' && kind !== 'federated') throw new Error(`expected central or federated, got '${kind}'`);
  mkdirSync(outDir, { recursive: true });
  const base = parse(readFileSync(configFile ?? `examples/dp-${kind}.yaml`, 'utf8'));
  for (const e of epsilons.map(Number)) {
    if (!(e > 0)) throw new Error(`epsilon must be a positive number, got '${e}'`);
    const cfg = structuredClone(base);
    cfg.privacy.targetEpsilon = e;
    cfg.output = join(outDir, `${kind}-eps${e}`);
    if (kind === 'federated') cfg.runName = `dp-sweep-eps${e}`;
    const file = join(outDir, `${kind}-eps${e}.yaml`);
    writeFileSync(file, stringify(cfg));
    process.stderr.write(`dp-sweep: ${kind} at epsilon ${e} ...\n`);
    const t0 = Date.now();
    const r = spawnSync(process.execPath, ['dist/src/cli/main.js', kind === 'central' ? 'train' : 'simulate', '--config', file, '--json'], { encoding: 'utf8', maxBuffer: 1 << 28 });
    writeFileSync(join(outDir, `${kind}-eps${e}.log`), `${r.stdout}\n--- stderr ---\n${r.stderr}`);
    const last = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).at(-1) ?? {};
    const test = last.test ?? last;
    // Central: one dataset; federated: every site's own ledger.
    const spent = last.privacy ? (Array.isArray(last.privacy) ? last.privacy.map((p) => ({ site: p.site, epsilon: p.epsilon })) : [{ site: last.privacy.site, epsilon: last.privacy.epsilon }]) : [];
    const row = { kind, targetEpsilon: e, exit: r.status, seconds: Math.round((Date.now() - t0) / 1000), auc: test.auc ?? null, accuracy: test.accuracy ?? null, spent };
    appendFileSync(join(outDir, 'results.jsonl'), JSON.stringify(row) + '\n');
    process.stderr.write(`dp-sweep: ${JSON.stringify(row)}\n`);
  }
}

async function report(dir, imgDir) {
  const rows = readFileSync(join(dir, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.exit === 0 && r.auc !== null);
  const latest = new Map(rows.map((r) => [`${r.kind} ${r.targetEpsilon}`, r]));
  const epsilons = [...new Set([...latest.values()].map((r) => r.targetEpsilon))].sort((a, b) => a - b);
  const cell = (kind, e) => {
    const r = latest.get(`${kind} ${e}`);
    if (!r) return '-';
    const max = Math.max(...r.spent.map((s) => s.epsilon));
    return `${r.auc.toFixed(4)} (eps ${max.toPrecision(3)})`;
  };
  console.log('| target epsilon | central test AUC (spent) | federated, 3 sites (max spent) |\n|---|---|---|');
  for (const e of epsilons) console.log(`| ${e} | ${cell('central', e)} | ${cell('federated', e)} |`);
  if (!imgDir) return;
  const { lineChart } = await import('../dist/src/plots/line-chart.js');
  const { svgToPng } = await import('../dist/src/plots/png.js');
  const series = ['central', 'federated'].map((kind) => ({
    name: kind === 'central' ? 'central' : 'federated (3 sites, SecAgg)',
    // x: the epsilon actually spent (max over sites), from the ledgers.
    points: [...latest.values()].filter((r) => r.kind === kind).map((r) => [Math.max(...r.spent.map((s) => s.epsilon)), r.auc]).sort((a, b) => a[0] - b[0]),
  }));
  const svg = lineChart({ title: 'PneumoniaMNIST test AUC against epsilon (delta 1e-5)', xLabel: 'epsilon spent (ledger)', yLabel: 'test AUC', series, yRange: [0.8, 1] });
  mkdirSync(imgDir, { recursive: true });
  writeFileSync(join(imgDir, 'dp-auc-epsilon.svg'), svg);
  writeFileSync(join(imgDir, 'dp-auc-epsilon.png'), await svgToPng(svg));
}

if (command === 'run') run(rest[0], rest.slice(1));
else if (command === 'report') await report(resolve(rest[0] ?? outDir), rest[1]);
else {
  console.error('usage: dp-sweep.mjs run central|federated EPS... [--out DIR] [--config FILE] | report DIR [IMGDIR]');
  process.exit(2);
}
