// privmed dashboard: renders the state the server pushes (server-sent events). Plain JS, no build step.
// Text goes in through textContent; only the server-rendered SVG charts (escaped there) use innerHTML.
'use strict';
const token = new URLSearchParams(location.search).get('token') || '';
const $ = (id) => document.getElementById(id);
const fmt = (v, digits = 4) => (typeof v === 'number' && Number.isFinite(v) ? String(Number(v.toFixed(digits))) : '-');
const ago = (iso) => {
  if (!iso) return '-';
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return s < 90 ? `${s} s ago` : s < 5400 ? `${Math.round(s / 60)} min ago` : new Date(iso).toLocaleString();
};

function row(cells, cls) {
  const tr = document.createElement('tr');
  if (cls) tr.className = cls;
  for (const c of cells) {
    const td = document.createElement('td');
    td.textContent = c;
    tr.appendChild(td);
  }
  return tr;
}

function fillTable(id, rows) {
  const body = $(id).querySelector('tbody');
  body.replaceChildren(...rows);
}

function render(s) {
  const run = s.run;
  $('run-name').textContent = run ? `run '${run.name}'` : '(waiting for the run to start)';
  $('run-status').textContent = run ? run.status : 'waiting';
  $('run-status').className = `badge ${run ? run.status : ''}`;
  $('round-counter').textContent = run ? `round ${run.currentRound} of ${run.totalRounds} (${run.roundsCompleted} completed)` : 'round 0';
  $('run-protocol').textContent = run ? `${run.strategy}, aggregation ${run.aggregation}${run.best ? `, best round ${run.best.round} (${run.metric} ${fmt(run.best.metric)})` : ''}` : '';
  $('mode').textContent = s.mode === 'live' ? 'live' : `from ${s.database}`;
  $('run-message').textContent = run && run.message ? run.message : '';

  const eps = new Map(s.privacy.sites.map((p) => [p.site, p.epsilon]));
  fillTable('sites', s.sites.map((x) => row([
    x.node,
    x.connected === null ? '-' : x.connected ? 'yes' : 'no',
    ago(x.lastSeen),
    x.dataSize === null ? (run && run.aggregation !== 'plain' ? 'hidden (secure aggregation)' : '-') : String(x.dataSize),
    x.detail ? `${x.roundStatus}: ${x.detail}` : x.roundStatus,
    eps.has(x.node) ? fmt(eps.get(x.node), 3) : '-',
  ], `site ${x.roundStatus}`)));

  fillTable('rounds', s.rounds.slice().reverse().map((r) => row([
    String(r.round),
    r.status,
    String(r.attempts),
    r.durationSec === null ? '-' : `${r.durationSec.toFixed(1)} s`,
    r.participants.join(', ') || '-',
    [...r.dropouts.map((n) => `${n} dropped`), ...r.rejected.map((n) => `${n} refused`)].join(', ') || '-',
    r.protocol,
    r.evalMetrics ? ['loss', 'auc', 'mcc'].filter((k) => k in r.evalMetrics).map((k) => `${k} ${fmt(r.evalMetrics[k])}`).join(', ') : '-',
  ])));

  for (const k of ['loss', 'auc', 'mcc', 'epsilon']) $(`chart-${k}`).innerHTML = s.charts[k];
  const p = s.privacy;
  $('privacy-summary').textContent = `delta ${p.delta}, ${p.accountant} accountant; budget ${p.budget === null ? 'not set (privacy.targetEpsilon)' : `epsilon ${p.budget}`}` +
    (p.sites.length ? `\n${p.sites.map((x) => `${x.site}: epsilon ${fmt(x.epsilon, 3)} (${x.source === 'ledger' ? 'federation ledger' : 'reported by the node'})`).join('\n')}` : '\nno DP charges yet');
  const log = $('log');
  const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
  log.textContent = s.log.slice(-200).join('\n');
  if (atBottom) log.scrollTop = log.scrollHeight;
  $('config').textContent = s.config ? JSON.stringify(s.config, null, 2) : '-';
  document.body.dataset.updated = String(Date.now());
}

function connect() {
  const events = new EventSource(`api/events?token=${encodeURIComponent(token)}`);
  events.addEventListener('state', (e) => render(JSON.parse(e.data)));
  events.onerror = () => {
    $('run-status').textContent = 'disconnected (retrying)';
  };
}
connect();
