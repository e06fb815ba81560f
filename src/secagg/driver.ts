import { SecAggClient } from './client.js';
import type { SecAggInput, SecAggMessage, SecAggParams } from './messages.js';
import type { RandomSource } from '../crypto/random.js';
import type { SecAggAuthentication, SecAggVerifier } from './authentication.js';
import { SecAggServer, type SecAggResult } from './server.js';
import type { MaskRemover } from './unmask-jobs.js';
import { decodeMessageOf, encodeMessage, type MessageOf } from './wire.js';

/** The stages at which a node can fall silent ('consistency' only in authenticated rounds). */
export type SecAggStage = 'advertise-keys' | 'share-keys' | 'masked-input' | 'consistency' | 'unmasking';

export type Party = 'coordinator' | number;

export interface WireEvent {
  from: Party;
  to: Party;
  kind: SecAggMessage['kind'];
  bytes: Uint8Array;
}

export interface SecAggRoundOptions {
  params: SecAggParams;
  /** A node's contribution, asked for when it is about to mask (so large inputs need not coexist). */
  inputs: (nodeId: number) => SecAggInput;
  /**
   * Nodes that fall silent at a stage: they do not send that stage's message
   * nor anything after. 'masked-input' = dropped before masking,
   * 'unmasking' = dropped after masking.
   */
  dropouts?: Partial<Record<SecAggStage, Iterable<number>>>;
  /** Sees every message on the wire; may return different bytes to deliver (tampering tests). */
  onMessage?: (event: WireEvent) => Uint8Array | void;
  random?: RandomSource;
  /** Authenticated rounds (params.authenticated): each node's identity, and the coordinator's verifier. */
  authentication?: (nodeId: number) => SecAggAuthentication;
  verifier?: SecAggVerifier;
  /** Removes the masks at the end (default: in this thread, one after the other). */
  removeMasks?: MaskRemover;
}

export interface SecAggRoundReport {
  result: SecAggResult;
  bytes: {
    sentByNode: Map<number, number>;
    receivedByNode: Map<number, number>;
    sentByCoordinator: number;
    receivedByCoordinator: number;
  };
  /** Compute time (handlers plus encoding), as if every party ran on its own machine. */
  millis: { node: Map<number, number>; coordinator: number };
  /** The same, in CPU time of this process: steadier than wall time on a shared machine. */
  cpuMillis: { node: Map<number, number>; coordinator: number };
}

/**
 * Runs one round in process, every message through the binary wire format,
 * with nodes dropping out where asked. For tests, benches and simulations;
 * a federation drives SecAggClient / SecAggServer over its own transport.
 * Errors of any party propagate.
 */
export function runSecAggRound(options: SecAggRoundOptions): SecAggRoundReport {
  const { params } = options;
  const silentFrom = new Map<number, number>();
  const stageOrder: SecAggStage[] = ['advertise-keys', 'share-keys', 'masked-input', 'consistency', 'unmasking'];
  stageOrder.forEach((stage, index) => {
    for (const id of options.dropouts?.[stage] ?? []) silentFrom.set(id, Math.min(index, silentFrom.get(id) ?? index));
  });
  const speaks = (id: number, stage: SecAggStage): boolean => (silentFrom.get(id) ?? Infinity) > stageOrder.indexOf(stage);

  const sentByNode = new Map<number, number>();
  const receivedByNode = new Map<number, number>();
  const nodeMillis = new Map<number, number>();
  const nodeCpuMillis = new Map<number, number>();
  let coordinatorMillis = 0;
  let coordinatorCpuMillis = 0;
  let sentByCoordinator = 0;
  let receivedByCoordinator = 0;
  const add = (map: Map<number, number>, id: number, v: number): void => {
    map.set(id, (map.get(id) ?? 0) + v);
  };

  const timed = <T>(work: () => T, charge: (wallMs: number, cpuMs: number) => void): T => {
    const wall = performance.now();
    const cpu = process.cpuUsage();
    try {
      return work();
    } finally {
      const used = process.cpuUsage(cpu);
      charge(performance.now() - wall, (used.user + used.system) / 1000);
    }
  };
  const atCoordinator = <T>(work: () => T): T =>
    timed(work, (wallMs, cpuMs) => {
      coordinatorMillis += wallMs;
      coordinatorCpuMillis += cpuMs;
    });
  const atNode = <T>(id: number, work: () => T): T =>
    timed(work, (wallMs, cpuMs) => {
      add(nodeMillis, id, wallMs);
      add(nodeCpuMillis, id, cpuMs);
    });
  // Encoding is charged to the sender, decoding to the receiver.
  const toNode = <K extends SecAggMessage['kind']>(id: number, message: MessageOf<K>): MessageOf<K> => {
    const encoded = atCoordinator(() => encodeMessage(message));
    const bytes = options.onMessage?.({ from: 'coordinator', to: id, kind: message.kind, bytes: encoded }) ?? encoded;
    sentByCoordinator += bytes.length;
    add(receivedByNode, id, bytes.length);
    return atNode(id, () => decodeMessageOf(bytes, message.kind as K));
  };
  const toCoordinator = <K extends SecAggMessage['kind']>(id: number, message: MessageOf<K>): MessageOf<K> => {
    const encoded = atNode(id, () => encodeMessage(message));
    const bytes = options.onMessage?.({ from: id, to: 'coordinator', kind: message.kind, bytes: encoded }) ?? encoded;
    add(sentByNode, id, bytes.length);
    receivedByCoordinator += bytes.length;
    return atCoordinator(() => decodeMessageOf(bytes, message.kind as K));
  };

  const server = atCoordinator(() => new SecAggServer(params, { random: options.random, verifier: options.verifier }));
  const clients = new Map(params.nodeIds.map((id) => [id, new SecAggClient(id, { random: options.random, authentication: options.authentication?.(id) })]));
  const setup = atCoordinator(() => server.setupMessage());

  for (const [id, client] of clients) {
    const received = toNode(id, setup);
    if (!speaks(id, 'advertise-keys')) continue;
    const reply = atNode(id, () => client.handleSetup(received));
    const delivered = toCoordinator(id, reply);
    atCoordinator(() => server.receiveAdvertiseKeys(delivered));
  }

  for (const [id, broadcast] of atCoordinator(() => server.finishAdvertiseStage())) {
    const received = toNode(id, broadcast);
    if (!speaks(id, 'share-keys')) continue;
    const reply = atNode(id, () => clients.get(id)!.handleKeyBroadcast(received));
    const delivered = toCoordinator(id, reply);
    atCoordinator(() => server.receiveShareKeys(delivered));
  }

  for (const [id, forwarded] of atCoordinator(() => server.finishShareKeysStage())) {
    const received = toNode(id, forwarded);
    if (!speaks(id, 'masked-input')) continue;
    const input = options.inputs(id);
    const reply = atNode(id, () => clients.get(id)!.handleForwardedShares(received, input));
    const delivered = toCoordinator(id, reply);
    atCoordinator(() => server.receiveMaskedInput(delivered));
  }

  let requests: Map<number, MessageOf<'unmask-request'>>;
  if (params.authenticated) {
    for (const [id, check] of atCoordinator(() => server.startConsistencyCheck())) {
      const received = toNode(id, check);
      if (!speaks(id, 'consistency')) continue;
      const reply = atNode(id, () => clients.get(id)!.handleConsistencyCheck(received));
      const delivered = toCoordinator(id, reply);
      atCoordinator(() => server.receiveConsistencySignature(delivered));
    }
    requests = atCoordinator(() => server.finishConsistencyStage());
  } else requests = atCoordinator(() => server.finishMaskedInputStage());
  for (const [id, request] of requests) {
    const received = toNode(id, request);
    if (!speaks(id, 'unmasking')) continue;
    const reply = atNode(id, () => clients.get(id)!.handleUnmaskRequest(received));
    const delivered = toCoordinator(id, reply);
    atCoordinator(() => server.receiveUnmaskResponse(delivered));
  }

  const result = atCoordinator(() => server.finish(options.removeMasks));
  return {
    result,
    bytes: { sentByNode, receivedByNode, sentByCoordinator, receivedByCoordinator },
    millis: { node: nodeMillis, coordinator: coordinatorMillis },
    cpuMillis: { node: nodeCpuMillis, coordinator: coordinatorCpuMillis },
  };
}
