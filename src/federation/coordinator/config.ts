/** The coordinator's configuration (zod schema: validated, defaults filled in). */
import { z } from 'zod';
import { NODE_NAME_PATTERN } from '../../net/certs/pki.js';
import { DEFAULT_CHUNK_BYTES, DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_UPDATE_BYTES } from '../wire/limits.js';
import { parseWith as parseConfig } from '../../common/config-file.js';
import { TlsConfigSchema } from '../../net/tls-config.js';
import { PROTOCOL_NAMES, PROTOCOL_SETTINGS, PROTOCOLS } from '../protocols/registry.js';

const nodeName = z.string().regex(NODE_NAME_PATTERN, 'a node name (letters, digits, . _ -)');
const seconds = z.number().positive();
const scalar = z.union([z.number(), z.string(), z.boolean()]);

export const LimitsSchema = z.strictObject({
  maxMessageBytes: z.number().int().min(64 * 1024).default(DEFAULT_MAX_MESSAGE_BYTES),
  chunkBytes: z.number().int().min(1024).default(DEFAULT_CHUNK_BYTES),
  maxUpdateBytes: z.number().int().positive().default(DEFAULT_MAX_UPDATE_BYTES),
});

export const StrategySchema = z.discriminatedUnion('name', [
  z.strictObject({ name: z.literal('fedavg') }),
  z.strictObject({ name: z.literal('fedprox'), mu: z.number().min(0) }),
  z.strictObject({
    name: z.literal('fedadam'),
    eta: z.number().positive().optional(),
    beta1: z.number().min(0).lt(1).optional(),
    beta2: z.number().min(0).lt(1).optional(),
    tau: z.number().positive().optional(),
  }),
]);

/** What each node does per round; keys besides the two sync keys go to the trainer as they are. */
/** Ten million examples at one site: far above any hospital's, far below what breaks the average. */
export const DEFAULT_MAX_NUM_SAMPLES = 10_000_000;

export const FitSchema = z
  .object({
    localEpochs: z.number().int().positive().optional(),
    syncEveryNBatches: z.number().int().positive().optional(),
    /** The keys a site's trainer reads (site/fit-config.ts) are checked here, not first at every node. */
    lr: z.number().positive().optional(),
    proximalMu: z.number().min(0).optional(),
  })
  .catchall(scalar)
  .superRefine((fit, ctx) => {
    if ((fit.localEpochs === undefined) === (fit.syncEveryNBatches === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['localEpochs'],
        message: 'exactly one of localEpochs and syncEveryNBatches',
        input: fit.localEpochs,
      });
    }
  });

export const EvaluateSchema = z.strictObject({
  /** Evaluate the global model every N rounds (and after the last). */
  every: z.number().int().positive().default(1),
  /** The metric that picks the best round (MCC by default: robust to class imbalance). */
  metric: z.string().min(1).default('mcc'),
  mode: z.enum(['max', 'min']).default('max'),
  /**
   * Which round's model the run keeps: the best by the metric, or the last. Default 'last' with a
   * privacy section (choosing by the nodes' validation scores is a release no ledger charges), else 'best'.
   */
  select: z.enum(['best', 'last']).optional(),
  /** Stop when the metric has not improved for this many evaluations. */
  patience: z.number().int().positive().optional(),
  timeoutSec: seconds.optional(),
  config: z.record(z.string(), scalar).default({}),
});

/**
 * The DP-SGD mechanism the federation accounts for (optional). Sent to the
 * nodes with every fit (dpNoiseMultiplier, dpMaxSampleRate, dpMaxSteps,
 * dpSampling); a DP node whose own mechanism is weaker refuses the fit. Under
 * secure aggregation, where the coordinator sees no node's metrics, the
 * federation ledger charges exactly this (worst-case) mechanism for every
 * contributor of a completed round; with plain aggregation it charges what
 * each node reports. delta and accountant are those of `privmed status` and
 * the dashboard.
 */
export const FederationPrivacySchema = z.strictObject({
  noiseMultiplier: z.number().positive(),
  maxSampleRate: z.number().positive().max(1),
  maxStepsPerRound: z.number().int().positive(),
  sampling: z.enum(['poisson', 'uniform']).default('poisson'),
  delta: z.number().positive().lt(1).default(1e-5),
  accountant: z.enum(['rdp', 'gdp', 'prv']).default('rdp'),
  /** The per-site budget drawn in the dashboard's epsilon chart; each node enforces its own (site.privacy.targetEpsilon). */
  targetEpsilon: z.number().positive().optional(),
});

export const CoordinatorConfigSchema = z
  .strictObject({
    /** Listen address, host:port (port 0 picks a free port). */
    address: z.string().default('127.0.0.1:50051'),
    tls: TlsConfigSchema.optional(),
    insecure: z.literal(true).optional(),
    /** CNs of the node certificates that may take part. */
    allowedNodes: z.array(nodeName).min(1),
    /** SQLite file with the run state (and the privacy ledger). */
    database: z.string().min(1),
    /**
     * A saved model folder (relative to this config file; privmed train output or any tfjs layers model) whose weights start
     * round 1: the coordinator owns the initial model. Without it the first node to answer the
     * INIT task provides it, and that node is trusted with it.
     */
    initialModel: z.string().min(1).optional(),
    /**
     * The run's declared architecture: the coordinator builds round 0 itself from it (seeded), so no
     * node's INIT answer decides the model; with initialModel too, that folder must be this architecture.
     */
    model: z
      .strictObject({
        arch: z.enum(['small-cnn', 'scatter-cnn', 'resnet18', 'unet']),
        inputShape: z.tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().positive()]),
        numClasses: z.number().int().min(2).max(10_000),
        norm: z.enum(['batch', 'group', 'none']).default('group'),
        depth: z.number().int().min(1).max(6).optional(),
        width: z.number().int().positive().optional(),
        head: z.enum(['flatten', 'gap']).optional(),
        seed: z.number().int().min(0).default(0),
      })
      .optional(),
    /** Starting the coordinator again with the same run name resumes the run. */
    runName: z.string().min(1),
    rounds: z.number().int().positive(),
    /** A round needs valid results from at least this many nodes. */
    minNodes: z.number().int().positive().default(2),
    /** A round starts only when this many nodes are connected (default: minNodes). */
    minAvailableNodes: z.number().int().positive().optional(),
    fractionFit: z.number().gt(0).max(1).default(1),
    roundTimeoutSec: seconds.default(600),
    waitForNodesTimeoutSec: seconds.default(600),
    /** Attempts per round before the run fails. */
    maxRoundAttempts: z.number().int().positive().default(3),
    heartbeatIntervalSec: seconds.default(5),
    /** A node silent for this long is considered gone (its tasks fail). */
    heartbeatTimeoutSec: seconds.default(30),
    /** How long a node's request for work is held open when there is none. */
    pollTimeoutSec: seconds.default(10),
    /** After the run, how long to wait for nodes to hear that it is over. */
    finishGraceSec: seconds.default(10),
    limits: LimitsSchema.default({
      maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
      chunkBytes: DEFAULT_CHUNK_BYTES,
      maxUpdateBytes: DEFAULT_MAX_UPDATE_BYTES,
    }),
    strategy: StrategySchema.default({ name: 'fedavg' }),
    fit: FitSchema.default({ localEpochs: 1 }),
    evaluate: EvaluateSchema.default({ every: 1, metric: 'mcc', mode: 'max', config: {} }),
    validation: z
      .strictObject({
        maxUpdateNorm: z.number().positive().optional(),
        /**
         * A bound on one node's FedAvg weight: an absurd count would swamp the global model.
         * Default DEFAULT_MAX_NUM_SAMPLES in the clear; under secagg it also sets the fixed-point weight range (its own default).
         */
        maxNumSamples: z.number().int().positive().optional(),
      })
      .default({}),
    keepCheckpoints: z.enum(['all', 'last-and-best']).default('last-and-best'),
    /** How the fit phase collects updates (protocols/registry.ts): each one in the clear, only their sum (secagg), or encrypted under a threshold key (ckks). */
    aggregation: z.enum(PROTOCOL_NAMES).default('plain'),
    /** Each protocol's own settings, under its name (e.g. secagg: { clip, stageTimeoutSec }). */
    ...PROTOCOL_SETTINGS,
    privacy: FederationPrivacySchema.optional(),
    /**
     * Before round 1, exchange the nodes' dataset statistics through the
     * aggregation (secure: only sums) and send the global mean/std with every
     * fit and evaluate task (normMean, normStd). Every node's trainer must
     * support it (LocalTrainer.statistics).
     */
    exchangeStatistics: z.boolean().default(false),
    /**
     * Before round 1 (and before the dataset statistics), exchange the nodes' stain statistics the
     * same way and send the federation's Reinhard reference (stainMean, stainStd) with every later
     * task; the nodes' data.stain must be { method: reinhard, federated: true } (docs/histopathology.md).
     */
    exchangeStain: z.boolean().default(false),
  })
  .superRefine((c, ctx) => {
    if (!c.tls === !c.insecure) {
      ctx.addIssue({ code: 'custom', path: ['tls'], message: 'tls settings (ca, cert, key), or insecure: true for loopback experiments', input: c.tls });
    }
    if (c.minNodes > c.allowedNodes.length) {
      ctx.addIssue({ code: 'custom', path: ['minNodes'], message: `at most the ${c.allowedNodes.length} allowed nodes`, input: c.minNodes });
    }
    if (c.minAvailableNodes !== undefined && (c.minAvailableNodes < c.minNodes || c.minAvailableNodes > c.allowedNodes.length)) {
      ctx.addIssue({ code: 'custom', path: ['minAvailableNodes'], message: `between minNodes (${c.minNodes}) and the ${c.allowedNodes.length} allowed nodes`, input: c.minAvailableNodes });
    }
    for (const p of PROTOCOLS) {
      const settings = (c as Readonly<Record<string, unknown>>)[p.name];
      if (settings !== undefined && c.aggregation !== p.name) {
        ctx.addIssue({ code: 'custom', path: [p.name], message: `${p.name} settings only with aggregation: ${p.name}`, input: settings });
      }
    }
    const protocol = PROTOCOLS.find((p) => p.name === c.aggregation);
    if (protocol && 'minNodes' in protocol && c.minNodes < protocol.minNodes) {
      ctx.addIssue({ code: 'custom', path: ['minNodes'], message: `at least ${protocol.minNodes} with aggregation: ${protocol.name}`, input: c.minNodes });
    }
    // The nodes apply the mean update themselves: only the linear strategies, whose step the mean is.
    if (protocol && 'modelAtNodes' in protocol && protocol.modelAtNodes && !['fedavg', 'fedprox'].includes(c.strategy.name)) {
      ctx.addIssue({
        code: 'custom',
        path: ['strategy', 'name'],
        message: `'${c.strategy.name}' cannot run under aggregation: ${protocol.name} (the coordinator never holds the model); use fedavg or fedprox`,
        input: c.strategy.name,
      });
    }
    if (c.privacy && c.evaluate.select === 'best') {
      ctx.addIssue({ code: 'custom', path: ['evaluate', 'select'], message: "'last' under privacy: choosing the best round by validation scores is a release no ledger charges", input: 'best' });
    }
    if (c.privacy && c.evaluate.patience !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['evaluate', 'patience'], message: 'no early stopping under privacy: it chooses by validation scores, a release no ledger charges', input: c.evaluate.patience });
    }
    if (c.heartbeatTimeoutSec <= c.heartbeatIntervalSec) {
      ctx.addIssue({ code: 'custom', path: ['heartbeatTimeoutSec'], message: 'more than heartbeatIntervalSec', input: c.heartbeatTimeoutSec });
    }
  });

export type FederationPrivacy = z.output<typeof FederationPrivacySchema>;
export type CoordinatorConfigInput = z.input<typeof CoordinatorConfigSchema>;
export type CoordinatorConfig = z.output<typeof CoordinatorConfigSchema>;

export function parseCoordinatorConfig(raw: unknown, file?: string): CoordinatorConfig {
  return parseConfig(CoordinatorConfigSchema, raw, file);
}
