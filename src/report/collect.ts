/**
 * Everything the privacy report shows, read from a run: a federation
 * database (sites, rounds, the federation ledger, the coordinator's config,
 * through the dashboard's snapshot) or a `privmed train` output folder; the
 * site ledgers beside it; the best model scored on the test split; the
 * attack results (`privmed attack ... --out DIR`); and checksums of every file.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { composeReleases, PrivacyLedger, type AccountantName } from '../accounting/index.js';
import { PrivmedError } from '../common/errors.js';
import { readYamlFile } from '../common/config-file.js';
import { RunSnapshots, type DashboardSnapshot } from '../dashboard/snapshot.js';
import { TransformedDataset } from '../data/dataset.js';
import { normaliseTransform } from '../data/preprocess/normalize.js';
import { openMedMnist } from '../data/resolve.js';
import { classificationMetrics, type ClassificationMetrics } from '../metrics/classification.js';
import { loadModel } from '../models/io.js';
import { predict } from '../training/evaluate.js';
import type { AuditRunResult, InversionRow, MembershipRow } from '../attacks/index.js';

export interface LedgerRelease {
  site: string;
  kind: string;
  recordedAt: string;
  note: string;
  mechanism: string;
  /** The site's epsilon after this release (composed over all its releases so far). */
  epsilonAfter: number;
}

export interface LedgerView {
  file: string;
  delta: number;
  accountant: AccountantName;
  releases: LedgerRelease[];
  sites: { site: string; epsilon: number; releases: number }[];
}

export interface ModelView {
  dir: string;
  spec: unknown;
  classes: string[];
  metrics: ClassificationMetrics;
  labels: Int32Array;
  probs: Float32Array;
  split: string;
}

export interface ReportData {
  source: string;
  kind: 'federation' | 'train';
  generatedAt: string;
  federation: DashboardSnapshot | null;
  config: unknown;
  /** Each site's config as written beside a federation run (<site>.yaml with a site section): its privacy settings. */
  siteConfigs: { file: string; site: Record<string, unknown> }[];
  ledgers: LedgerView[];
  model: ModelView | null;
  audit: (Omit<AuditRunResult, 'inScores' | 'outScores'> & { data?: string }) | null;
  /** The same audit on a run without DP (privmed attack audit --control): what the attack finds when nothing is protected. */
  auditControl: (Omit<AuditRunResult, 'inScores' | 'outScores'> & { data?: string }) | null;
  inversion: { settings: Record<string, unknown>; rows: InversionRow[] }[];
  membership: { settings: Record<string, unknown>; rows: MembershipRow[] } | null;
  files: { path: string; bytes: number; sha256: string }[];
}

function readLedger(file: string, delta: number, accountant: AccountantName): LedgerView {
  const ledger = PrivacyLedger.open(file, { mustExist: true });
  try {
    const releases: LedgerRelease[] = [];
    const bySite = new Map<string, LedgerRelease[]>();
    const mechanisms = new Map<string, Parameters<typeof composeReleases>[0][number][]>();
    for (const e of ledger.entries()) {
      const ms = [...(mechanisms.get(e.site) ?? []), e.mechanism];
      mechanisms.set(e.site, ms);
      const r: LedgerRelease = { site: e.site, kind: e.kind, recordedAt: e.recordedAt, note: e.note, mechanism: JSON.stringify(e.mechanism), epsilonAfter: composeReleases(ms, delta, accountant).epsilon };
      releases.push(r);
      bySite.set(e.site, [...(bySite.get(e.site) ?? []), r]);
    }
    const sites = [...bySite].map(([site, rs]) => ({ site, epsilon: rs.at(-1)!.epsilonAfter, releases: rs.length }));
    return { file, delta, accountant, releases, sites };
  } finally {
    ledger.close();
  }
}

function walk(dir: string, depth = 0): string[] {
  if (depth > 3) return [];
  return readdirSync(dir)
    .sort()
    .flatMap((n) => {
      const p = join(dir, n);
      const st = statSync(p);
      return st.isDirectory() ? walk(p, depth + 1) : st.isFile() ? [p] : [];
    });
}

const readJson = <T>(file: string): T | null => (existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : null);

export interface CollectOptions {
  run: string;
  /** Folder of attack results; default <run folder>/attacks. */
  attacks?: string;
  /** Data root for scoring the model on its test split. */
  dataRoot?: string;
}

export async function collectReport(o: CollectOptions): Promise<ReportData> {
  if (!existsSync(o.run)) throw new PrivmedError(`--run: ${o.run} does not exist`, { hint: 'give a federation database (federation.sqlite) or a privmed train / simulate output folder' });
  const isDir = statSync(o.run).isDirectory();
  const dbFile = isDir ? (existsSync(join(o.run, 'federation.sqlite')) ? join(o.run, 'federation.sqlite') : null) : o.run;
  const dir = isDir ? o.run : dirname(o.run);
  let federation: DashboardSnapshot | null = null;
  let config: unknown = null;
  if (dbFile) {
    const snaps = new RunSnapshots(dbFile);
    try {
      federation = snaps.take();
    } finally {
      snaps.close();
    }
    if (!federation.run) throw new PrivmedError(`${dbFile}: no federation run in this database`);
    config = federation.config;
  }
  const delta = federation?.privacy.delta ?? 1e-5;
  const accountant = (federation?.privacy.accountant ?? 'rdp') as AccountantName;
  const ledgerFiles = readdirSync(dir).filter((n) => n.endsWith('privacy-ledger.sqlite')).map((n) => join(dir, n));
  if (dbFile) ledgerFiles.unshift(dbFile);
  const ledgers = ledgerFiles.flatMap((f) => {
    try {
      const l = readLedger(f, delta, accountant);
      return l.releases.length ? [l] : [];
    } catch {
      return []; // a database without a ledger table
    }
  });
  const bestDir = [join(dir, 'best'), join(dir, 'model')].find((d) => existsSync(join(d, 'model.json')));
  let model: ModelView | null = null;
  if (bestDir) {
    const { model: m, meta } = await loadModel(bestDir);
    config ??= meta.config ?? null;
    const dataset = ((meta.config as { data?: { dataset?: string } } | undefined)?.data?.dataset ?? (config as { data?: { dataset?: string } } | null)?.data?.dataset) || 'pneumoniamnist';
    try {
      const test = (await openMedMnist(dataset, o.dataRoot)).splits.test;
      const p = await predict(m, new TransformedDataset(test, normaliseTransform(meta.normalisation), 0));
      model = { dir: bestDir, spec: meta.spec, classes: meta.classes, metrics: classificationMetrics(p.labels, p.probs, meta.classes.length), labels: p.labels, probs: p.probs, split: 'test' };
    } finally {
      m.dispose();
    }
  }
  const siteConfigs = readdirSync(dir)
    .filter((n) => /\.ya?ml$/.test(n))
    .sort()
    .flatMap((n) => {
      try {
        const c = readYamlFile(join(dir, n)) as { site?: Record<string, unknown> } | null;
        return c && typeof c.site === 'object' && c.site ? [{ file: n, site: c.site }] : [];
      } catch {
        return []; // not a site config
      }
    });
  const attacks = o.attacks ?? join(dir, 'attacks');
  const audit = readJson<AuditRunResult>(join(attacks, 'audit.json'));
  const inversion = existsSync(attacks)
    ? readdirSync(attacks)
        .filter((n) => /^inversion.*\.json$/.test(n))
        .sort()
        .map((n) => readJson<{ settings: Record<string, unknown>; rows: InversionRow[] }>(join(attacks, n))!)
    : [];
  const membership = readJson<{ settings: Record<string, unknown>; rows: MembershipRow[] }>(join(attacks, 'membership.json'));
  const files = [...walk(dir), ...(existsSync(attacks) && relative(dir, attacks).startsWith('..') ? walk(attacks) : [])]
    .filter((f) => !/\.(sqlite-(wal|shm)|log)$/.test(f))
    .slice(0, 500)
    .map((f) => {
      const bytes = readFileSync(f);
      return { path: relative(dir, f) || basename(f), bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
    });
  const { inScores: _i, outScores: _o, ...auditView } = audit ?? ({} as AuditRunResult);
  const control = readJson<AuditRunResult>(join(attacks, 'audit-control.json'));
  const { inScores: _ci, outScores: _co, ...controlView } = control ?? ({} as AuditRunResult);
  return {
    source: o.run,
    kind: dbFile ? 'federation' : 'train',
    generatedAt: new Date().toISOString(),
    federation,
    config,
    siteConfigs,
    ledgers,
    model,
    audit: audit ? auditView : null,
    auditControl: control ? controlView : null,
    inversion,
    membership,
    files,
  };
}
