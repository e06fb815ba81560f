/**
 * The report as one self-contained HTML page: inline SVG plots, PNG grids as
 * data URLs, no external assets, print CSS so that Chromium's PDF keeps
 * sections together. Every section has an id (report-*), every plot a
 * figure.plot, which the browser test checks.
 */
import { escapeXml as esc } from '../plots/svg.js';
import { evaluationCharts } from '../plots/evaluation-charts.js';
import { PRIVMED_VERSION } from '../version.js';
import type { ReportData } from './collect.js';
import { ledgerChart, membershipRocChart } from './charts.js';
import { auditOneRun } from '../attacks/index.js';

/** eps_lb of a perfect attack on the same canaries: the most this audit could show. */
const auditCeiling = (included: number, excluded: number, delta: number): number =>
  auditOneRun(Array<number>(included).fill(1), Array<number>(excluded).fill(0), { significance: 0.05, delta }).epsLb;
import { NOT_PROTECTED, PRIVACY_UNIT, THREAT_MODEL } from './text.js';

export const SECTIONS = ['summary', 'federation', 'threat-model', 'mechanisms', 'ledger', 'performance', 'attacks', 'not-protected', 'reproducibility'] as const;

const f = (v: number | null | undefined, digits = 3): string => (v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : Number(v.toPrecision(digits + 1)).toString());
// Cells from JSON may be null where a NaN was written.
const table = (head: string[], rows: (string | number | null)[][]): string =>
  `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${typeof c === 'number' || c === null ? f(c) : c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
const figure = (svg: string, caption: string): string => `<figure class="plot">${svg}<figcaption>${esc(caption)}</figcaption></figure>`;
const section = (id: string, title: string, body: string): string => `<section id="report-${id}" class="report-section"><h2>${esc(title)}</h2>${body}</section>`;
const none = (what: string): string => `<p class="missing">${esc(what)}</p>`;

/** The run's DP settings: its own config (train), else the first site config beside a federation database. */
function privacySettings(d: ReportData): Record<string, unknown> | null {
  const c = d.config as { privacy?: Record<string, unknown>; site?: { privacy?: Record<string, unknown> } } | null;
  return c?.privacy ?? c?.site?.privacy ?? (d.siteConfigs.map((s) => s.site.privacy as Record<string, unknown> | undefined).find((p) => p) ?? null);
}

function summary(d: ReportData): string {
  const maxEps = Math.max(0, ...d.ledgers.flatMap((l) => l.sites.map((s) => s.epsilon)));
  const p = privacySettings(d);
  const dp = d.ledgers.some((l) => l.releases.some((r) => r.kind === 'dp-sgd')) || !!p;
  const agg = d.federation?.run?.aggregation ?? (d.kind === 'train' ? 'none (one site, local training)' : 'unknown');
  const light = (ok: boolean | null, text: string): string => `<li class="light ${ok === null ? 'amber' : ok ? 'green' : 'red'}">${esc(text)}</li>`;
  const audit = d.audit;
  const inv = d.inversion.flatMap((x) => x.rows).filter((r) => !r.refused);
  const plainLeak = inv.filter((r) => r.target === 'plain' && r.psnrMean > 20);
  return (
    `<p>Run <code>${esc(d.source)}</code> (${d.kind}), report generated ${esc(d.generatedAt)} by privmed ${esc(PRIVMED_VERSION)}.</p>` +
    `<ul class="lights">` +
    light(dp ? maxEps <= 10 : false, dp ? `Membership / reconstruction from the model: DP-SGD, largest site epsilon ${f(maxEps)} at delta ${f(d.ledgers[0]?.delta ?? 1e-5)}` : 'No differential privacy: the model itself is not protected') +
    light(/secagg|ckks/.test(agg) ? true : d.kind === 'train' ? null : false, `Updates seen by the coordinator: ${agg}`) +
    light(audit ? audit.passed : null, audit ? `Empirical audit: eps_lb ${f(audit.epsLb)} ${audit.passed ? '<=' : '>'} accountant epsilon ${f(audit.epsilon)}` : 'No empirical audit was run') +
    light(
      inv.length ? plainLeak.length === 0 || /secagg|ckks/.test(agg) : null,
      inv.length
        ? `Gradient inversion: ${plainLeak.length ? 'a plain update DOES give images back (PSNR > 20 dB)' : 'no plain update gave images back at PSNR > 20 dB'}${/secagg|ckks/.test(agg) ? '; this run sends no plain update to the coordinator' : ''}`
        : 'No gradient-inversion test was run',
    ) +
    `</ul>`
  );
}

function federationSection(d: ReportData): string {
  if (!d.federation) return none('A single-site run (privmed train): no federation.') + (d.model ? `<p>Model: <code>${esc(JSON.stringify(d.model.spec))}</code></p>` : '');
  const s = d.federation;
  const r = s.run!;
  return (
    `<p>Run <b>${esc(r.name)}</b>: ${esc(r.status)}, ${r.roundsCompleted} of ${r.totalRounds} rounds, aggregation <b>${esc(r.aggregation)}</b>, strategy ${esc(r.strategy)}, selection metric ${esc(r.metric)}${r.best ? ` (best round ${r.best.round}: ${f(r.best.metric)})` : ''}.</p>` +
    table(['site', 'training images (as released)', 'last status'], s.sites.map((x) => [esc(x.node), x.dataSize === null ? 'hidden (secure aggregation) or not released' : String(x.dataSize), esc(x.roundStatus)])) +
    figure(s.charts.auc, 'Federated evaluation: ROC-AUC over rounds')
  );
}

function threatSection(): string {
  return table(['party', 'sees', 'cannot'], THREAT_MODEL.map((t) => [esc(t.party), esc(t.sees), esc(t.cannot)]));
}

function mechanismsSection(d: ReportData): string {
  const p = privacySettings(d);
  const sgd = d.ledgers.flatMap((l) => l.releases).find((r) => r.kind === 'dp-sgd');
  const m = sgd ? (JSON.parse(sgd.mechanism) as Record<string, unknown>) : null;
  const rows: [string, string][] = [
    ['privacy unit', PRIVACY_UNIT],
    ['accountant', esc(String(d.ledgers[0]?.accountant ?? p?.accountant ?? 'n/a'))],
    ['delta', esc(String(d.ledgers[0]?.delta ?? p?.delta ?? 'n/a'))],
    ['target epsilon (budget)', esc(String(p?.targetEpsilon ?? d.federation?.privacy.budget ?? 'none'))],
    ['sampler', esc(String(m?.sampling ?? p?.sampling ?? 'n/a'))],
    ['sample rate', esc(m?.sampleRate !== undefined ? f(Number(m.sampleRate)) : 'n/a')],
    ['noise multiplier', esc(m?.noiseMultiplier !== undefined ? f(Number(m.noiseMultiplier)) : String(p?.noiseMultiplier ?? 'n/a'))],
    ['clipping norm', esc(String(p?.clipNorm ?? 'n/a'))],
    ['aggregation', esc(d.federation?.run?.aggregation ?? 'none')],
  ];
  return table(['parameter', 'value'], rows);
}

function ledgerSection(d: ReportData): string {
  if (!d.ledgers.length) return none('No privacy ledger was found next to this run: nothing was charged (no DP).');
  const budget = d.federation?.privacy.budget ?? (privacySettings(d)?.targetEpsilon as number | undefined) ?? null;
  const chart = ledgerChart(d.ledgers, budget);
  const releases = d.ledgers.flatMap((l) => l.releases);
  return (
    figure(chart, 'Epsilon spent per site against the budget') +
    table(['site', 'epsilon', 'releases'], d.ledgers.flatMap((l) => l.sites.map((s) => [esc(s.site), s.epsilon, String(s.releases)]))) +
    `<h3>Every release charged</h3>` +
    table(['site', 'kind', 'recorded (UTC)', 'epsilon after', 'note'], releases.slice(0, 300).map((r) => [esc(r.site), esc(r.kind), esc(r.recordedAt), r.epsilonAfter, esc(r.note)])) +
    (releases.length > 300 ? `<p>${releases.length - 300} more releases are in the ledger files.</p>` : '') +
    `<p>Kinds: dp-sgd (training), statistics (normalisation and class counts), hparam-trial (tuning), model-selection.</p>`
  );
}

function performanceSection(d: ReportData): string {
  if (!d.model) return none('No saved model was found in this run folder (best/ or model/).');
  const m = d.model;
  const c = evaluationCharts({ labels: m.labels, probs: m.probs, classes: m.classes }, m.split);
  return (
    `<p>Model <code>${esc(m.dir)}</code> on the ${m.split} split: AUC ${f(m.metrics.auc)}, accuracy ${f(m.metrics.accuracy)}, MCC ${f(m.metrics.mcc)}, n = ${m.metrics.n}.</p>` +
    `<div class="row">${figure(c.roc, 'ROC curve')}${figure(c.confusion, 'Confusion matrix')}${figure(c.calibration, 'Calibration')}</div>`
  );
}

function attacksSection(d: ReportData): string {
  let html = '<h3>Gradient inversion (Geiping et al. 2020)</h3>';
  if (!d.inversion.length) html += none('Not run (privmed attack inversion).');
  for (const inv of d.inversion) {
    html += `<p>Settings: <code>${esc(JSON.stringify(inv.settings))}</code>. SSIM: Wang et al. with a 7x7 uniform window, K1 0.01, K2 0.03, data range 1; reconstructions matched to true images by least total MSE.</p>`;
    html += table(
      ['target', 'images per node', 'nodes', 'PSNR mean (dB)', 'PSNR max', 'flat prior PSNR', 'SSIM mean', 'RDLV max', 'labels right', 'seconds'],
      inv.rows.map((r) => (r.refused ? [esc(r.target), String(r.batch), '-', `refused: ${esc(r.refused)}`, '', '', '', '', '', ''] : [esc(r.target), String(r.batch), String(r.nodes), r.psnrMean, r.psnrMax, r.psnrPrior ?? null, r.ssimMean, r.rdlvMax, f(r.labelAccuracy), f(r.seconds)])),
    );
    html += inv.rows.filter((r) => r.grid).map((r) => `<figure class="grid"><img alt="${esc(r.target)} batch ${r.batch}" src="data:image/png;base64,${r.grid}"/><figcaption>${esc(`${r.target}, ${r.batch} image(s) per node: originals (top) and reconstructions (bottom)`)}</figcaption></figure>`).join('');
  }
  html += '<h3>Membership inference</h3>';
  const mi = d.membership;
  if (!mi) html += none('Not run (privmed attack membership).');
  else {
    html += `<p>Settings: <code>${esc(JSON.stringify(mi.settings))}</code>.</p>`;
    html += table(
      ['model', 'epsilon', 'Yeom bound e^eps - 1', 'train / test acc', 'Yeom AUC', 'Yeom TPR@0.1%FPR', 'LiRA AUC', 'LiRA TPR@0.1%FPR', 'best advantage'],
      mi.rows.map((r) => [esc(r.model), r.epsilon ?? 'none', r.yeomBound ?? 'none', `${f(r.trainAccuracy)} / ${f(r.testAccuracy)}`, r.yeom.auc, `${f(r.yeom.tprAt01 * 100)}%`, r.lira.auc, `${f(r.lira.tprAt01 * 100)}%`, Math.max(r.yeom.advantage, r.lira.advantage)]),
    );
    html += figure(membershipRocChart(mi.rows, 'lira'), 'LiRA (offline, fixed variance) ROC on log axes');
  }
  html += '<h3>Empirical audit of the accountant (Steinke, Nasr, Jagielski 2023)</h3>';
  const a = d.audit;
  html += a
    ? table(
        ['run', 'canaries', 'included', 'steps', 'noise', 'accountant epsilon', 'eps_lb (95%)', 'result'],
        [
          ['DP-SGD', String(a.canaries), String(a.included), String(a.steps), a.noiseMultiplier, a.epsilon, a.epsLb, a.passed ? 'eps_lb <= epsilon' : '<b>VIOLATION</b>'],
          ...(d.auditControl ? [['control, no DP', String(d.auditControl.canaries), String(d.auditControl.included), String(d.auditControl.steps), 0, 'none (not private)', d.auditControl.epsLb, 'what the attack finds unprotected']] : []),
        ],
      ) +
      `<p>Black-box canaries (mislabelled training images, scored by their loss under the final model). With these ${a.canaries} canaries even a perfect attack (every guess right) certifies at most eps_lb ${f(auditCeiling(a.included, a.canaries - a.included, a.delta))}, so a small eps_lb is expected and is not evidence of safety; it shows that this audit found no violation.</p>`
    : none('Not run (privmed attack audit).');
  return html;
}

function reproducibilitySection(d: ReportData): string {
  return (
    `<p>privmed ${esc(PRIVMED_VERSION)}, Node.js ${esc(process.version)}, ${esc(process.platform)}/${esc(process.arch)}.</p>` +
    `<h3>Configuration</h3><pre>${esc(JSON.stringify(d.config, null, 2) ?? 'none')}</pre>` +
    d.siteConfigs.map((c) => `<h3>Site config ${esc(c.file)}</h3><pre>${esc(JSON.stringify(c.site, null, 2))}</pre>`).join('') +
    `<h3>Files and SHA-256</h3>` +
    table(['file', 'bytes', 'sha256'], d.files.map((x) => [esc(x.path), String(x.bytes), `<code>${x.sha256}</code>`]))
  );
}

const CSS = `body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;color:#222;line-height:1.4}h1{border-bottom:2px solid #0072B2}
section{margin:2em 0;break-inside:auto}h2{color:#0072B2;break-after:avoid}table{border-collapse:collapse;margin:.5em 0;font-size:.85em}
td,th{border:1px solid #ccc;padding:3px 6px;vertical-align:top}th{background:#eef}figure{margin:1em 0;break-inside:avoid}figure.plot svg{max-width:100%;height:auto}
figure.grid img{image-rendering:pixelated;max-width:100%}.row{display:flex;flex-wrap:wrap;gap:8px}.row figure{flex:1 1 300px}.missing{color:#888;font-style:italic}
.lights li{list-style:none;padding:4px 8px;margin:3px 0;border-left:8px solid}.lights li.green{border-color:#009E73}.lights li.amber{border-color:#E69F00}.lights li.red{border-color:#D55E00}
pre{font-size:.75em;background:#f6f6f6;padding:8px;overflow:auto;max-height:40em}code{font-size:.85em;word-break:break-all}`;

export function renderReport(d: ReportData): string {
  const body = [
    section('summary', '1. Summary for the board', summary(d)),
    section('federation', '2. Data and federation', federationSection(d)),
    section('threat-model', '3. Threat model: who sees what', threatSection()),
    section('mechanisms', '4. Mechanisms and parameters', mechanismsSection(d)),
    section('ledger', '5. Privacy ledger', ledgerSection(d)),
    section('performance', '6. Model performance', performanceSection(d)),
    section('attacks', '7. Attacks and audit', attacksSection(d)),
    section('not-protected', '8. What is not protected', `<ul>${NOT_PROTECTED.map((t) => `<li>${esc(t)}</li>`).join('')}</ul>`),
    section('reproducibility', '9. Versions, configuration and checksums', reproducibilitySection(d)),
  ];
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>privmed privacy report</title><style>${CSS}</style></head><body><h1>Privacy report</h1>${body.join('\n')}</body></html>\n`;
}
