/**
 * The coordinator process: serves the Coordinator gRPC service (mutual TLS),
 * drives the rounds, and persists the run in SQLite. `runCoordinator` is what
 * `privmed coordinator --config` calls; `startCoordinator` gives tests and
 * embedders a handle (port, completion, close).
 */
import { DP_FIT_KEYS, PLANNED_ROUNDS_KEY } from '../../site/fit-config.js';
import * as grpc from '@grpc/grpc-js';
import { PrivmedError } from '../../common/errors.js';
import { coordinatorService } from '../wire/proto.js';
import { checkLimits } from '../wire/limits.js';
import type { NamedTensor } from '../wire/tensors.js';
import { formatAddress, parseAddress } from '../../net/address.js';
import { allowInsecure, readTlsMaterial } from '../../net/security.js';
import { serverOptions } from '../../net/grpc-options.js';
import { openDatabase, type SqliteDatabase } from '../store/sqlite.js';
import { RunStore, type CommitHook } from '../store/run-store.js';
import { LedgerHeads } from '../store/ledger-heads.js';
import { strategyFromConfig } from '../strategy/from-config.js';
import type { Strategy } from '../strategy/types.js';
import type { Aggregator } from './aggregator.js';
import { aggregatorFromConfig } from './aggregator-from-config.js';
import { DEFAULT_MAX_NUM_SAMPLES, parseCoordinatorConfig, type CoordinatorConfig } from './config.js';
import { describeEvent, type CoordinatorEvent, type EventSink } from './events.js';
import { makeExchange } from './exchange.js';
import { federationLedger } from './federation-ledger.js';
import { LogThrottle } from './log-throttle.js';
import type { FederationPrivacy } from './config.js';
import { NodeRegistry } from './node-registry.js';
import { prepareRun } from './prepare-run.js';
import { runRounds, type RunOutcome } from './round-loop.js';
import { coordinatorHandlers } from './service.js';
import { TaskBoard } from './task-board.js';
import { Wakeup } from './wakeup.js';

export interface CoordinatorOptions {
  /** The model of round 0; without it the coordinator asks the first node that joins. */
  initialWeights?: NamedTensor[];
  /** Overrides the strategy named in the config. */
  strategy?: Strategy;
  /** How the fit phase collects updates; by default the one the config's `aggregation:` names. */
  aggregator?: Aggregator;
  onEvent?: EventSink;
  /**
   * Called once with the open database before the first round. The privacy
   * ledger creates its tables here and may return a hook that runs inside
   * every round's commit transaction.
   */
  onDatabase?: (db: SqliteDatabase) => CommitHook | void;
  /** Where human-readable progress goes (stderr by default); false for silence. */
  log?: ((line: string) => void) | false;
  /** Aborting stops the run (resumable later) and shuts the coordinator down, e.g. on SIGINT. */
  signal?: AbortSignal;
}

export interface CoordinatorResult extends RunOutcome {
  runName: string;
}

export interface CoordinatorHandle {
  /** The port actually bound (useful with port 0). */
  port: number;
  config: CoordinatorConfig;
  /** Resolves when the run has ended and the server has shut down. */
  finished: Promise<CoordinatorResult>;
  /** Stops the run (it can be resumed later) and shuts down. */
  close(): Promise<void>;
}

/** The weakest DP mechanism the federation accounts for, as fit config keys the DP nodes check (site/site-privacy.ts). */
function dpFitConfig(p: FederationPrivacy | undefined): Record<string, number | string> {
  if (!p) return {};
  return { [DP_FIT_KEYS.noiseMultiplier]: p.noiseMultiplier, [DP_FIT_KEYS.maxSampleRate]: p.maxSampleRate, [DP_FIT_KEYS.maxSteps]: p.maxStepsPerRound, [DP_FIT_KEYS.sampling]: p.sampling };
}

function serverCredentials(config: CoordinatorConfig, host: string): grpc.ServerCredentials {
  if (config.insecure) {
    allowInsecure(host, 'coordinator');
    return grpc.ServerCredentials.createInsecure();
  }
  const tls = readTlsMaterial(config.tls!);
  // checkClientCertificate = true: the TLS handshake fails unless the node's certificate chains to our CA.
  return grpc.ServerCredentials.createSsl(tls.ca, [{ cert_chain: tls.cert, private_key: tls.key }], true);
}

function bind(server: grpc.Server, address: string, credentials: grpc.ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync(address, credentials, (error, port) =>
      error ? reject(new PrivmedError(`cannot listen on ${address}: ${error.message}`, { cause: error })) : resolve(port),
    ),
  );
}

function shutdown(server: grpc.Server, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, timeoutMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export async function startCoordinator(rawConfig: unknown, options: CoordinatorOptions = {}): Promise<CoordinatorHandle> {
  const config = parseCoordinatorConfig(rawConfig);
  checkLimits(config.limits);
  const { host, port: requestedPort } = parseAddress(config.address);
  const credentials = serverCredentials(config, host);
  const log = options.log === false ? null : (options.log ?? ((line: string) => process.stderr.write(`privmed coordinator: ${line}\n`)));
  const throttle = new LogThrottle();
  const events: EventSink = (e: CoordinatorEvent) => {
    if (log) for (const line of throttle.lines(e, describeEvent(e))) log(line);
    options.onEvent?.(e);
  };

  const db = openDatabase(config.database);
  let server: grpc.Server | undefined;
  let sweepTimer: NodeJS.Timeout | undefined;
  try {
    const store = new RunStore(db);
    // The federation's privacy ledger lives in the same file and is charged in the round's commit.
    store.onCommit(federationLedger(config.runName, config.privacy)(db));
    const hook = options.onDatabase?.(db);
    if (hook) store.onCommit(hook);
    const { run } = prepareRun(store, config);

    const registry = new NodeRegistry(config.heartbeatTimeoutSec * 1000);
    const board = new TaskBoard();
    registry.onLost((session, reason) => {
      board.dropSession(session.id, `node left: ${reason}`);
      events({ type: 'node-lost', node: session.node, reason });
    });

    let finishedMessage: string | null = null;
    const told = new Set<string>();
    const toldChanged = new Wakeup();
    server = new grpc.Server(serverOptions(config.limits));
    server.addService(
      coordinatorService().service,
      coordinatorHandlers({
        runName: config.runName,
        registry,
        board,
        allowedNodes: new Set(config.allowedNodes),
        insecure: config.insecure === true,
        limits: config.limits,
        maxNumSamples: config.validation.maxNumSamples ?? DEFAULT_MAX_NUM_SAMPLES,
        heartbeatIntervalMs: config.heartbeatIntervalSec * 1000,
        pollTimeoutMs: config.pollTimeoutSec * 1000,
        ledgerHeads: new LedgerHeads(db, run.runId),
        events,
        finished: () => finishedMessage,
        onJoin: (node, rejoined) => {
          store.nodeSeen(run.runId, node, true);
          events({ type: 'node-joined', node, rejoined });
        },
        onFinishedDelivered: (sessionId) => {
          told.add(sessionId);
          toldChanged.notify();
        },
      }),
    );
    const port = await bind(server, formatAddress({ host, port: requestedPort }), credentials);
    events({ type: 'listening', address: formatAddress({ host, port }), port, insecure: config.insecure === true });
    sweepTimer = setInterval(() => registry.sweep(), registry.sweepIntervalMs);

    const abort = new AbortController();
    const strategy =
      options.strategy ??
      strategyFromConfig(config.strategy, {
        fitConfig: {
          ...(Object.fromEntries(Object.entries(config.fit).filter(([, v]) => v !== undefined)) as Record<string, number | string | boolean>),
          ...dpFitConfig(config.privacy),
          [PLANNED_ROUNDS_KEY]: config.rounds,
        },
        evaluateConfig: config.evaluate.config,
        fractionFit: config.fractionFit,
      });
    const liveServer = server;
    const liveTimer = sweepTimer;

    const finished = (async (): Promise<CoordinatorResult> => {
      let outcome: RunOutcome;
      try {
        outcome = await runRounds({
          config,
          store,
          runId: run.runId,
          registry,
          strategy,
          aggregator: options.aggregator ?? aggregatorFromConfig(config),
          exchange: makeExchange(board, registry),
          events,
          initialWeights: options.initialWeights,
          signal: abort.signal,
        });
        if (outcome.status !== 'stopped') {
          events({ type: 'run-finished', status: outcome.status, message: outcome.message });
          // Tell the connected nodes that the run is over before going away.
          finishedMessage = outcome.message;
          board.wakeAll();
          const graceEnd = Date.now() + config.finishGraceSec * 1000;
          while (Date.now() < graceEnd && registry.liveSessions().some((s) => !told.has(s.id)) && !abort.signal.aborted) {
            await toldChanged.wait(graceEnd - Date.now());
          }
        }
      } finally {
        clearInterval(liveTimer);
        await shutdown(liveServer, 2000);
        db.close();
      }
      return { ...outcome, runName: config.runName };
    })();

    const close = async () => {
      abort.abort();
      board.dropAll('the coordinator is stopping');
      registry.changed.notify();
      await finished.catch(() => undefined);
    };
    if (options.signal?.aborted) void close();
    options.signal?.addEventListener('abort', () => void close(), { once: true });
    return { port, config, finished, close };
  } catch (e) {
    if (sweepTimer) clearInterval(sweepTimer);
    server?.forceShutdown();
    db.close();
    throw e;
  }
}

/** Runs a whole federated training; throws a PrivmedError if the run fails. */
export async function runCoordinator(rawConfig: unknown, options: CoordinatorOptions = {}): Promise<CoordinatorResult> {
  const handle = await startCoordinator(rawConfig, options);
  const result = await handle.finished;
  if (result.status === 'failed') throw new PrivmedError(`run '${result.runName}' failed: ${result.message}`);
  return result;
}
