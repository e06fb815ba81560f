/**
 * Runs a whole federation on this machine: certificates in a temporary
 * folder, a coordinator process and one node process per site, on loopback
 * with mutual TLS; then scores the best global model on the held-out test
 * split (which no site trains on).
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { PrivmedError } from '../common/errors.js';
import { TransformedDataset } from '../data/dataset.js';
import { normaliseTransform } from '../data/preprocess/normalize.js';
import { storedPreprocessing } from '../data/preprocess/spec.js';
import { openDataset } from '../data/resolve.js';
import { isFederatedStain } from '../data/stain/stain-spec.js';
import { initBackend } from '../engine/backend.js';
import { initPki, nodeCertPaths, pkiPaths } from '../net/certs/pki-files.js';
import { openDatabase } from '../federation/store/sqlite.js';
import { RunStore } from '../federation/store/run-store.js';
import { protocolByName } from '../federation/protocols/registry.js';
import { readGlobalModel } from '../federation/protocols/ckks/global-model.js';
import type { ClassificationMetrics } from '../metrics/classification.js';
import { buildModel } from '../models/build.js';
import { saveModel } from '../models/io.js';
import type { ModelSpec } from '../models/spec.js';
import { scoreSegmentation } from './score-segmentation.js';
import type { SegmentationMetrics } from '../metrics/segmentation.js';
import { evaluate } from '../training/evaluate.js';
import { sitePrivacySummary, type SitePrivacySummary } from '../site/privacy-summary.js';
import { sizeOf } from '../site/config-sections.js';
import { writeWeights } from '../training/weights.js';
import type { SimulationConfig } from './config.js';
import { isEventLine, parseEventLine, type ChildEvent } from './event-lines.js';
import { sharedCoresEnv, startCli, waitOrKill, type Child } from './processes.js';

/** Rounds when the config's federation section names none. */
export const DEFAULT_ROUNDS = 5;

export interface SimulationResult {
  status: string;
  bestRound: number | null;
  /** The federated validation metric of the best round (the coordinator's selection metric). */
  bestMetric: number | null;
  test: ClassificationMetrics | null;
  classes: string[];
  modelDir: string;
  seconds: number;
  /** With DP: what each site has spent, by its own ledger. */
  privacy?: SitePrivacySummary[];
  /** task segmentation: the best round's model on the held-back cases (test is null then). */
  segmentation?: SegmentationMetrics;
}

export interface SimulationOptions {
  /** Every line the processes print (prefixed); default: coordinator lines to stderr. */
  onLine?: (source: string, line: string) => void;
  /** The processes' structured events (coordinator events; node, task and fit events), for a live view; asked of the children only when set. */
  onEvent?: (source: string, event: ChildEvent) => void;
}

/** The simulated sites' node names. */
export function siteNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `hospital-${i + 1}`);
}

export async function simulate(cfg: SimulationConfig, opts: SimulationOptions = {}): Promise<SimulationResult> {
  const t0 = performance.now();
  const out = resolve(cfg.output);
  mkdirSync(out, { recursive: true });
  const printLine = opts.onLine ?? ((source, line) => source === 'coordinator' && process.stderr.write(line + '\n'));
  const onEvent = opts.onEvent;
  const eventsFlag = onEvent ? ['--events'] : [];
  // Event lines go to onEvent only: the log lines stay exactly what the processes print for people.
  const onLine = (source: string, line: string) => {
    if (!isEventLine(line)) printLine(source, line);
    else if (onEvent) {
      const e = parseEventLine(line);
      if (e) onEvent(source, e);
    }
  };
  const names = siteNames(cfg.sites);
  const ledgerOf = (name: string) => cfg.privacy?.ledger ?? join(out, `${name}.privacy-ledger.sqlite`);
  const pkiDir = mkdtempSync(join(tmpdir(), 'privmed-pki-'));
  const children: Child[] = [];
  try {
    await initPki({ outDir: pkiDir, nodes: names });
    const pki = pkiPaths(pkiDir);
    const database = join(out, 'federation.sqlite');
    const coordinatorConfig = {
      rounds: DEFAULT_ROUNDS,
      minNodes: Math.min(2, cfg.sites),
      // PriMIA's normalisation: every node's trainer (tfjs) supports it; federation.exchangeStatistics: false turns it off.
      // Segmentation z-scores each case on its own: there is nothing to exchange.
      exchangeStatistics: cfg.task !== 'segmentation',
      ...cfg.federation,
      // data.stain federated: the sites' reference is the federation's, exchanged before round 1.
      ...(isFederatedStain(cfg.data.stain) ? { exchangeStain: true } : {}),
      ...(cfg.privacy ? { evaluate: lastRoundUnderDp(cfg.federation.evaluate) } : {}),
      address: '127.0.0.1:0',
      tls: { ca: pki.caCert, cert: pki.coordinatorCert, key: pki.coordinatorKey },
      allowedNodes: names,
      database,
      runName: cfg.runName,
    };
    const coordinatorYaml = join(out, 'coordinator.yaml');
    writeFileSync(coordinatorYaml, stringify(coordinatorConfig));
    let resolvePort!: (port: number) => void;
    const port = new Promise<number>((r) => (resolvePort = r));
    const coordinator = startCli('coordinator', ['coordinator', '--config', coordinatorYaml, ...eventsFlag], (line) => {
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(line);
      if (m) resolvePort(Number(m[1]));
      onLine('coordinator', line);
    });
    children.push(coordinator);
    const early = coordinator.exited.then((code) => {
      throw new PrivmedError(`the coordinator exited (code ${code}) before it was listening; see the lines above`);
    });
    const boundPort = await Promise.race([port, early]);
    names.forEach((name, index) => {
      const nodeYaml = join(out, `${name}.yaml`);
      const certs = nodeCertPaths(pkiDir, name);
      writeFileSync(
        nodeYaml,
        stringify({
          node: { name, coordinator: `127.0.0.1:${boundPort}`, tls: { ca: pki.caCert, cert: certs.cert, key: certs.key } },
          site: {
            task: cfg.task,
            ...(cfg.segmentation ? { segmentation: cfg.segmentation } : {}),
            data: { ...cfg.data, partition: { ...cfg.data.partition, sites: cfg.sites, index } },
            model: cfg.model,
            training: cfg.training,
            backend: cfg.backend,
            ...(cfg.privacy ? { privacy: { ...cfg.privacy, ledger: ledgerOf(name) } } : {}),
          },
        }),
      );
      children.push(startCli(name, ['node', '--config', nodeYaml, ...eventsFlag], (line) => onLine(name, line), sharedCoresEnv(cfg.sites)));
    });
    const code = await coordinator.exited;
    await Promise.all(children.slice(1).map((c) => waitOrKill(c, 30_000)));
    if (code !== 0) throw new PrivmedError(`the federation did not complete (coordinator exit code ${code}); run again with the same output folder to resume`);
    // Under CKKS only the nodes hold the model: score hospital-1's copy (privmed node writes it to <config dir>/<name>/).
    const nodeModel = protocolByName(String(cfg.federation.aggregation ?? 'plain')).modelAtNodes ? join(out, names[0]!) : null;
    const scored = await scoreBestModel(cfg, database, join(out, 'best'), nodeModel);
    const p = cfg.privacy;
    const privacy = p ? names.flatMap((name) => sitePrivacySummary(ledgerOf(name), p.site ?? name, p.delta, p.accountant) ?? []) : [];
    return { ...scored, seconds: (performance.now() - t0) / 1000, ...(privacy.length ? { privacy } : {}) };
  } finally {
    for (const c of children) if (c.process.exitCode === null && c.process.signalCode === null) c.process.kill('SIGKILL');
    rmSync(pkiDir, { recursive: true, force: true });
  }
}

async function scoreBestModel(cfg: SimulationConfig, database: string, modelDir: string, nodeModel: string | null): Promise<Omit<SimulationResult, 'seconds'>> {
  const db = openDatabase(database, { readonly: true });
  try {
    const store = new RunStore(db);
    const run = store.findRun(cfg.runName);
    if (!run) throw new PrivmedError(`${database}: no run '${cfg.runName}'`);
    const round = run.bestRound ?? store.lastCompletedRound(run.runId);
    const weights = nodeModel ? readGlobalModel(nodeModel, round) : store.loadCheckpoint(run.runId, round).weights;
    await initBackend(cfg.backend);
    if (cfg.task === 'segmentation') {
      const seg = await scoreSegmentation(cfg, weights, modelDir, round);
      return { status: run.status, bestRound: run.bestRound, bestMetric: run.bestMetric, test: null, classes: seg.classes, modelDir, segmentation: seg.test };
    }
    // The test tiles are normalised to the federation's stain reference, as the sites' were; the saved model carries it.
    const stain = store.loadStainReference(run.runId);
    if (isFederatedStain(cfg.data.stain) && !stain) throw new PrivmedError(`${database}: run '${cfg.runName}' has no exchanged stain reference`);
    const data = await openDataset(stain ? { ...cfg.data, stain: stain.reference } : cfg.data);
    const test = data.splits.test;
    const { height, width, channels, classes } = test.info;
    const spec: ModelSpec = { arch: cfg.model.arch, inputShape: [height, width, channels], numClasses: classes.length, norm: cfg.model.norm, ...sizeOf(cfg.model) };
    const model = buildModel(spec);
    writeWeights(model, weights);
    // The numbers the nodes trained with: the exchanged ones, or the identity when the run exchanged none.
    const stored = store.loadStatistics(run.runId);
    const normalisation = stored
      ? { mean: stored.mean, std: stored.std }
      : { mean: new Array<number>(channels).fill(0), std: new Array<number>(channels).fill(1) };
    const metrics = await evaluate(model, new TransformedDataset(test, normaliseTransform(normalisation), 0), 128, cfg.training.tta);
    await saveModel(modelDir, model, { spec, classes, normalisation, config: cfg, ...storedPreprocessing(test.info, normalisation, data.stain), ...(cfg.training.tta ? { tta: cfg.training.tta } : {}), metrics: { round, testAuc: metrics.auc } });
    model.dispose();
    return { status: run.status, bestRound: run.bestRound, bestMetric: run.bestMetric, test: metrics, classes, modelDir };
  } finally {
    db.close();
  }
}

/** Under DP the run keeps the last round: choosing by the sites' validation scores would be a release no ledger charges. */
function lastRoundUnderDp(evaluate: unknown): Record<string, unknown> {
  const e = (evaluate ?? {}) as Record<string, unknown>;
  if (e.select === 'best' || e.patience !== undefined) {
    const key = e.select === 'best' ? 'select' : 'patience';
    throw new PrivmedError(`federation.evaluate.${key}: not with privacy (it chooses a round by the sites' validation scores, a release no ledger charges)`, {
      hint: 'remove it: under DP the federation keeps the last round',
    });
  }
  return { ...e, select: 'last' };
}
