/** One consistent picture of a run for the dashboard: the database read in one transaction, plus the live feed. */
import { existsSync } from 'node:fs';
import { openDatabase, type SqliteDatabase } from '../federation/store/sqlite.js';
import { dashboardCharts, type DashboardCharts } from './charts.js';
import { EpsilonHistory, reportedEpsilon } from './epsilon.js';
import { readRunTables, type RunTables } from './run-tables.js';
import { logFromTables, roundViews, runView, siteViews, type CoordinatorConfigView, type LiveInfo, type RoundView, type RunView, type SiteView } from './state.js';

export interface PrivacyView {
  delta: number;
  accountant: string;
  /** The coordinator's privacy.targetEpsilon, drawn as the budget line. */
  budget: number | null;
  /** Each site's epsilon after its latest charged round (federation ledger), else as last reported. */
  sites: { site: string; epsilon: number; source: 'ledger' | 'reported' }[];
}

export interface DashboardSnapshot {
  mode: 'live' | 'database';
  database: string;
  run: RunView | null;
  sites: SiteView[];
  rounds: RoundView[];
  privacy: PrivacyView;
  config: unknown;
  log: string[];
  charts: DashboardCharts;
}

export interface SnapshotOptions {
  /** The run to show; by default the newest in the file. */
  runName?: string;
  /** Live mode: connection state and log lines from the coordinator's events. */
  live?: LiveInfo;
}

export class RunSnapshots {
  private db: SqliteDatabase | null = null;
  private epsilon: EpsilonHistory | null = null;

  constructor(
    readonly file: string,
    private readonly options: SnapshotOptions = {},
  ) {}

  /** Opened on first use: a live coordinator creates the file just before it starts serving. */
  private tables(): RunTables | null {
    if (!this.db) {
      if (!existsSync(this.file)) return null;
      this.db = openDatabase(this.file, { readonly: true });
    }
    const db = this.db;
    return db.transaction(() => readRunTables(db, this.options.runName))();
  }

  take(): DashboardSnapshot {
    const t = this.tables();
    const config = (t ? JSON.parse(t.run.config_json) : {}) as CoordinatorConfigView;
    const delta = config.privacy?.delta ?? 1e-5;
    const accountant = config.privacy?.accountant ?? 'rdp';
    // Made with the run's own delta and accountant, once the run exists.
    if (t) this.epsilon ??= new EpsilonHistory(delta, accountant);
    const ledger = t && this.epsilon ? this.epsilon.fromLedger(t.run.name, t.ledger) : [];
    const reported = t ? reportedEpsilon(t.results) : [];
    const series = [...ledger, ...reported];
    const latest = new Map<string, PrivacyView['sites'][number]>();
    for (const s of [...reported, ...ledger]) if (s.points.length) latest.set(s.site, { site: s.site, epsilon: s.points.at(-1)![1], source: s.source });
    const budget = config.privacy?.targetEpsilon;
    const live = this.options.live;
    const run = t ? runView(t, config) : null;
    return {
      mode: live ? 'live' : 'database',
      database: this.file,
      run,
      sites: siteViews(t, config, live ?? null),
      rounds: t ? roundViews(t, run!.aggregation) : [],
      privacy: { delta, accountant, budget: budget ?? null, sites: [...latest.values()].sort((a, b) => (a.site < b.site ? -1 : 1)) },
      config: t ? JSON.parse(t.run.config_json) : null,
      log: live ? [...live.log] : t ? logFromTables(t) : [],
      charts: dashboardCharts(t, series, budget),
    };
  }

  close(): void {
    this.db?.close();
    this.db = null;
  }
}
