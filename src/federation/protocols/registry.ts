/**
 * The aggregation protocols, by name. The coordinator resolves its config's
 * `aggregation:` value here (coordinator/aggregator-from-config.ts) and the
 * node resolves each task's stage here (node/default-node-aggregation.ts), so
 * both sides consult the same table and never dispatch on names themselves.
 *
 * To add a protocol: write its files in protocols/<name>/ - a
 * coordinator Aggregator, a NodeAggregation, the stage names they exchange,
 * and a protocol.ts with its ProtocolEntry (types.ts) - and add that entry to
 * PROTOCOLS below. Its name becomes a valid `aggregation:` value, its
 * `settings` schema (if any) the config key of the same name, and its stages
 * are routed to its node side. Stage names must be unique across protocols.
 */
import type { z } from 'zod';
import { PrivmedError } from '../../common/errors.js';
import { ckksProtocol } from './ckks/protocol.js';
import { plainProtocol } from './plain/protocol.js';
import { secaggProtocol } from './secagg/protocol.js';
import type { ProtocolEntry } from './types.js';

export const PROTOCOLS = [plainProtocol, secaggProtocol, ckksProtocol] as const;

type Protocol = (typeof PROTOCOLS)[number];
export type ProtocolName = Protocol['name'];

/** The valid `aggregation:` values, in registry order. */
export const PROTOCOL_NAMES = PROTOCOLS.map((p) => p.name) as [ProtocolName, ...ProtocolName[]];

type WithSettings = Extract<Protocol, { settings: z.ZodType }>;

/** The coordinator config keys of the protocols' own settings (e.g. `secagg:`), all optional. */
export const PROTOCOL_SETTINGS = Object.fromEntries(
  PROTOCOLS.flatMap((p: ProtocolEntry) => (p.settings ? [[p.name, p.settings.optional()]] : [])),
) as { [P in WithSettings as P['name']]: z.ZodOptional<P['settings']> };

export function protocolByName(name: string): ProtocolEntry {
  const protocol = PROTOCOLS.find((p) => p.name === name);
  if (!protocol) {
    throw new PrivmedError(`unknown aggregation protocol '${name}' (known: ${PROTOCOL_NAMES.join(', ')})`, {
      hint: 'run the same privmed version on coordinator and nodes',
    });
  }
  return protocol;
}

export type StageRole = 'fit' | 'statistics' | 'evaluation' | 'step';

const byStage = new Map<string, { protocol: ProtocolEntry; role: StageRole }>();
for (const protocol of PROTOCOLS as readonly ProtocolEntry[]) {
  const { fit, statistics, evaluation, steps } = protocol.stages;
  const roles: [string | undefined, StageRole][] = [[fit, 'fit'], [statistics, 'statistics'], [evaluation, 'evaluation'], ...steps.map((s): [string, StageRole] => [s, 'step'])];
  for (const [stage, role] of roles) {
    if (stage === undefined) continue;
    const taken = byStage.get(stage);
    if (taken) throw new Error(`aggregation protocols '${taken.protocol.name}' and '${protocol.name}' both use stage '${stage}'`);
    byStage.set(stage, { protocol, role });
  }
}

/** The protocol whose node side answers a task of this stage in this role, or null when no protocol does. */
export function protocolForStage(stage: string, role: StageRole): ProtocolEntry | null {
  const found = byStage.get(stage);
  return found && found.role === role ? found.protocol : null;
}

/** Whether a STEP task belongs to the statistics exchange (of any protocol). */
export function isStatisticsStage(stage: string): boolean {
  return byStage.get(stage)?.role === 'statistics';
}

/** Whether a STEP task starts a secure evaluation sum (of any protocol). */
export function isEvaluationStage(stage: string): boolean {
  return byStage.get(stage)?.role === 'evaluation';
}
