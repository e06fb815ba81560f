/**
 * The node's side of CKKS aggregation (see coordinator.ts): key setup once
 * per run, then per round it encrypts its weighted update, sends one
 * decryption share when asked, and opens the combined result into the new
 * global model, which only the nodes hold: it trains and evaluates from it
 * (`globalWeights`) and writes it to its state folder. The coordinator
 * cannot see the update, so the node checks it (finite, norm bound, sample
 * count) before encrypting, and refuses - the reason, no values - otherwise.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrivmedError } from '../../../common/errors.js';
import { DEFAULT_CKKS_PARAMS, createHeContext, type HeContext } from '../../../he/index.js';
import type { FitOutput } from '../../../site/local-trainer.js';
import { publicPrivacyMetrics } from '../../../site/fit-config.js';
import { refusalReply } from '../../wire/refusal.js';
import type { NamedTensor } from '../../wire/tensors.js';
import type { NodeReply, ReceivedTask } from '../../wire/task.js';
import type { NodeAggregation } from '../../node/node-aggregation.js';
import type { NodeProtocolOptions } from '../types.js';
import { CKKS_STAGES, b64, bytesTensor, jsonPayload, readJson, tensorBytes, unb64 } from './envelope.js';
import { writeGlobalModel } from './global-model.js';
import type { KeyAdvert } from './key-setup.js';
import { CkksNode } from './node-state.js';
import { isAdvertJson, isRunJson, isFitJson, isShareJson, isOpenJson, type AdvertJson } from './messages.js';
import type { CkksRun } from './run-context.js';

class LocalRefusal extends PrivmedError {
  constructor(reason: string, readonly details: string) {
    super(reason);
  }
}

const reply = (payload: unknown, tensors: NamedTensor[] | null = null): NodeReply => ({ tensors, numSamples: 0, metrics: {}, payload: jsonPayload(payload) });

export function modelDigest(weights: readonly Float32Array[]): string {
  const h = createHash('sha256');
  for (const w of weights) h.update(new Uint8Array(w.buffer, w.byteOffset, w.byteLength));
  return h.digest('hex');
}

export class CkksNodeAggregation implements NodeAggregation {
  private he?: Promise<HeContext>;
  private run: CkksRun | null = null;
  private state: CkksNode | null = null;
  private global: NamedTensor[] | null = null;
  private stateDir?: string;

  constructor(private readonly options: NodeProtocolOptions = {}) {}

  globalWeights(): Float32Array[] | null {
    return this.global?.map((t) => t.data) ?? null;
  }

  async afterFit(task: ReceivedTask, output: FitOutput): Promise<NodeReply> {
    return this.refuseOnError(task, async () => {
      if (task.stage !== CKKS_STAGES.fit) throw new PrivmedError(`expected a CKKS fit, got stage '${task.stage}'`);
      if (!this.state) throw new PrivmedError('no CKKS key setup at this node (it restarted after the setup)');
      const fit = readJson(task.payload, 'the fit task', isFitJson);
      // Round 1 carries the (public) initial model; later rounds train from the model this node decoded.
      if (task.tensors) this.global = task.tensors.map((t) => ({ ...t, data: t.data.slice() }));
      const base = this.global;
      if (!base) throw new PrivmedError('the fit task carries no model and this node has decoded none');
      const delta = flatDelta(base, output.weights);
      checkUpdate(delta, output.numSamples, fit);
      const weight = output.numSamples / fit.maxSamples;
      const values = delta.values.map((v) => v * weight);
      const frames = await this.state.upload(values, weight, unb64(fit.round));
      // The site's spent epsilon is public (a function of public mechanism parameters).
      return { ...reply({}, [bytesTensor(frames)]), metrics: publicPrivacyMetrics(output.metrics) };
    });
  }

  async step(task: ReceivedTask): Promise<NodeReply> {
    return this.refuseOnError(task, async () => {
      switch (task.stage) {
        case CKKS_STAGES.advertise:
          return this.advertise(task);
        case CKKS_STAGES.deal:
          return this.deal(task);
        case CKKS_STAGES.finish:
          return this.finish(task);
        case CKKS_STAGES.share:
          return this.share(task);
        case CKKS_STAGES.open:
          return this.open(task);
        default:
          throw new PrivmedError(`unknown CKKS stage '${task.stage}'`);
      }
    });
  }

  private async advertise(task: ReceivedTask): Promise<NodeReply> {
    const creds = this.options.credentials;
    if (!creds) throw new PrivmedError('CKKS needs the node\'s TLS certificate and key (it signs its key advert); this node runs without TLS');
    const run = readJson(task.payload, 'the key setup', isRunJson);
    if (JSON.stringify(run.params) !== JSON.stringify(DEFAULT_CKKS_PARAMS)) throw new PrivmedError('the coordinator asks for CKKS parameters other than this node\'s (docs/he.md)');
    if (!run.roster.includes(creds.name)) throw new PrivmedError(`the roster [${run.roster.join(', ')}] does not include this node`);
    const min = this.options.minThreshold ?? Math.ceil(run.roster.length / 2);
    if (run.threshold < min) throw new PrivmedError(`the decryption threshold ${run.threshold} of ${run.roster.length} is below this node's minimum (${min})`);
    this.he ??= createHeContext(DEFAULT_CKKS_PARAMS);
    this.stateDir ??= this.options.stateDir ?? mkdtempSync(join(tmpdir(), `privmed-${creds.name}-`));
    this.run = { runId: run.runId, roster: run.roster, threshold: run.threshold, params: DEFAULT_CKKS_PARAMS };
    // A new setup (e.g. a restarted coordinator) replaces the keys of the last one, not the model.
    await this.state?.close();
    this.state = new CkksNode(await this.he, creds, this.run, join(this.stateDir, 'ckks', createHash('sha256').update(run.runId).digest('hex').slice(0, 16)), this.options.random);
    const a = this.state.advertise();
    const advert: AdvertJson = { node: a.node, certPem: a.certPem, x25519: b64(a.x25519), signature: b64(a.signature) };
    return reply(advert);
  }

  private deal(task: ReceivedTask): NodeReply {
    const { state, run } = this.setupState();
    const { adverts } = readJson(task.payload, 'the key adverts', (v): v is { adverts: AdvertJson[] } =>
      Array.isArray((v as { adverts?: unknown }).adverts) && (v as { adverts: unknown[] }).adverts.every(isAdvertJson),
    );
    const byNode = new Map<string, KeyAdvert>(adverts.map((a) => [a.node, { node: a.node, certPem: a.certPem, x25519: unb64(a.x25519), signature: unb64(a.signature) }]));
    const out = state.deal(byNode);
    const none = new Uint8Array(0);
    const parts = [out.ckgShare, ...run.roster.map((p) => out.sealedShares.get(p) ?? none), ...run.roster.map((p) => out.sealedConsortium.get(p) ?? none)];
    return reply({}, [bytesTensor(parts)]);
  }

  private finish(task: ReceivedTask): NodeReply {
    const { state, run } = this.setupState();
    const n = run.roster.length;
    const parts = tensorBytes(task.tensors, 2 * n + 1, 'the key setup\'s shares');
    const me = this.options.credentials!.name;
    const ckg = new Map(run.roster.map((p, i) => [p, parts[i]!]));
    const sealed = new Map(run.roster.flatMap((p, i) => (p === me ? [] : [[p, parts[n + i]!] as const])));
    const consortium = parts[2 * n]!.length > 0 ? parts[2 * n]! : null;
    const publicKey = state.finish(ckg, sealed, consortium);
    return reply({ publicKey: createHash('sha256').update(publicKey).digest('hex') });
  }

  private async share(task: ReceivedTask): Promise<NodeReply> {
    const { state } = this.setupState();
    const s = readJson(task.payload, 'the decryption request', isShareJson);
    const c1 = tensorBytes(task.tensors, s.chunks, 'the decryption request');
    return reply({}, [bytesTensor(await state.share(unb64(s.aggregate), s.active, c1))]);
  }

  private open(task: ReceivedTask): NodeReply {
    const { state } = this.setupState();
    const o = readJson(task.payload, 'the combined result', isOpenJson);
    const base = this.global;
    if (!base) throw new PrivmedError('a combined result arrived but this node holds no model to update');
    const parameters = base.reduce((n, t) => n + t.data.length, 0);
    const chunks = Math.ceil((parameters + 1) / DEFAULT_CKKS_PARAMS.polyModulusDegree);
    if (o.chunks !== chunks) throw new PrivmedError(`the combined result has ${o.chunks} chunks, this model needs ${chunks}`);
    const combined = tensorBytes(task.tensors, chunks, 'the combined result');
    const { mean } = state.open(unb64(o.aggregate), combined, parameters);
    let at = 0;
    const next = base.map((t) => {
      const data = t.data.map((v, i) => v + mean[at + i]!);
      at += t.data.length;
      return { ...t, data };
    });
    if (next.some((t) => t.data.some((v) => !Number.isFinite(v)))) throw new PrivmedError('the decoded global model has non-finite values');
    this.global = next;
    writeGlobalModel(this.stateDir!, task.round, next);
    return reply({ model: modelDigest(next.map((t) => t.data)) });
  }

  private setupState(): { state: CkksNode; run: CkksRun } {
    if (!this.state || !this.run) throw new PrivmedError('no CKKS key setup in progress at this node (it restarted)');
    return { state: this.state, run: this.run };
  }

  private async refuseOnError(task: ReceivedTask, body: () => Promise<NodeReply> | NodeReply): Promise<NodeReply> {
    try {
      return await body();
    } catch (e) {
      if (!(e instanceof PrivmedError)) throw e;
      const details = e instanceof LocalRefusal ? ` (${e.details})` : '';
      this.options.log?.(`round ${task.round}: refusing CKKS stage '${task.stage}': ${e.message}${details}`);
      return refusalReply(e.message);
    }
  }
}

interface FlatDelta {
  values: Float32Array;
  norm: number;
  nonFinite: number;
}

function flatDelta(base: readonly NamedTensor[], trained: readonly Float32Array[]): FlatDelta {
  if (trained.length !== base.length) throw new PrivmedError(`the trainer returned ${trained.length} tensors, the model has ${base.length}`);
  const values = new Float32Array(base.reduce((n, t) => n + t.data.length, 0));
  let at = 0;
  let sq = 0;
  let nonFinite = 0;
  base.forEach((t, i) => {
    const w = trained[i]!;
    if (w.length !== t.data.length) throw new PrivmedError(`the trainer returned ${w.length} values for '${t.name}', expected ${t.data.length}`);
    for (let k = 0; k < w.length; k++) {
      const d = w[k]! - t.data[k]!;
      if (!Number.isFinite(d)) nonFinite++;
      values[at++] = d;
      sq += d * d;
    }
  });
  return { values, norm: Math.sqrt(sq), nonFinite };
}

function checkUpdate(d: FlatDelta, numSamples: number, fit: { maxSamples: number; maxUpdateNorm: number | null }): void {
  if (d.nonFinite > 0) throw new LocalRefusal('the trained weights contain non-finite values', `${d.nonFinite} non-finite values`);
  if (!Number.isSafeInteger(numSamples) || numSamples < 1) throw new LocalRefusal('the sample count is not a positive integer', `sample count ${numSamples}`);
  if (numSamples > fit.maxSamples) throw new LocalRefusal(`the sample count exceeds the round's limit of ${fit.maxSamples} (validation.maxNumSamples)`, `sample count ${numSamples}`);
  if (fit.maxUpdateNorm !== null && d.norm > fit.maxUpdateNorm) {
    throw new LocalRefusal(`the update norm exceeds validation.maxUpdateNorm (${fit.maxUpdateNorm})`, `update norm ${d.norm.toPrecision(4)}`);
  }
}
