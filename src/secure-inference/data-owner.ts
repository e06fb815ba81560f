/**
 * The data owner's side of a session: fetches the plan and the masked
 * weights from the model owner, joins the dealer's session, and runs images
 * as party 0. Only it learns each image's class (and, when the model owner
 * allows, the probabilities).
 */
import { createHash } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { channelOptions, type TlsMaterial } from '../net/index.js';
import { parsePreprocessingSpec, type PreprocessingSpec } from '../data/preprocess/spec.js';
import {
  checkPlan,
  CountingLink,
  decodeFixed,
  deltaWeights,
  encodeFixed,
  precompute,
  ringFromBytes,
  runImage,
  SmpcError,
  totalWeights,
  type OpWeights,
  type Plan,
} from '../smpc/index.js';
import { MaterialFeed } from './material-feed.js';
import { maxProtocolMessage } from './model-owner.js';
import { useNativeRingKernel } from './ring-kernel.js';
import { clientCredentials } from './tls.js';
import { FrameLink, MAX_GRPC_MESSAGE, smpcServices, type DuplexLike, type SmpcFrame, SMPC_KEEPALIVE, SMPC_CLIENT_WINDOW } from './wire.js';

export interface SecureResult {
  classIndex: number;
  className: string;
  /** Softmax of the revealed logits, when the model owner allows it. */
  probabilities?: number[];
  onlineSeconds: number;
  /** Seconds from asking the dealer for this image's material to the class (material on demand). */
  totalSeconds: number;
  onlineBytes: number;
  rounds: number;
  dealerBytes: number;
}

const MAX_PLAN_JSON = 16 << 20;

export class DataOwnerSession {
  private constructor(
    readonly plan: Plan,
    readonly classes: string[],
    readonly preprocessing: PreprocessingSpec,
    private readonly weights: Map<number, OpWeights>,
    private readonly link: CountingLink,
    private readonly call: grpc.ClientDuplexStream<SmpcFrame, SmpcFrame>,
    private readonly client: grpc.Client,
    private readonly feed: MaterialFeed,
  ) {}

  static async connect(options: { modelOwner: string; dealer: string; tls: TlsMaterial; lookahead?: number }): Promise<DataOwnerSession> {
    useNativeRingKernel(); // its convolutions (delta a) run offline, but on demand they delay the image
    const Ctor = smpcServices().modelOwner;
    const client = new Ctor(options.modelOwner, clientCredentials(options.tls), { ...channelOptions(MAX_GRPC_MESSAGE), ...SMPC_KEEPALIVE, ...SMPC_CLIENT_WINDOW });
    const call = (client as unknown as { Session(): grpc.ClientDuplexStream<SmpcFrame, SmpcFrame> }).Session();
    // Until the plan says how large the masked weights are, one message may hold up to 1 GiB.
    const link = new FrameLink(call as unknown as DuplexLike<SmpcFrame>, 1 << 30, `model owner at ${options.modelOwner}`);
    const hello = await link.hellos.next();
    if (hello.planJson.length > MAX_PLAN_JSON) throw new SmpcError('message', 'model owner: plan too large');
    let plan: Plan;
    try {
      plan = JSON.parse(hello.planJson) as Plan;
    } catch (e) {
      throw new SmpcError('message', `model owner sent a plan that is not JSON (${(e as Error).message})`);
    }
    checkPlan(plan);
    if (hello.classes.length !== plan.classes) throw new SmpcError('message', `model owner: ${hello.classes.length} class names for ${plan.classes} classes`);
    const preprocessing = parsePreprocessingSpec(JSON.parse(hello.preprocessingJson), 'model owner preprocessing');
    const expected = totalWeights(plan) * 8;
    if (hello.deltaBytes !== expected) throw new SmpcError('message', `model owner announces ${hello.deltaBytes} bytes of masked weights, the plan needs ${expected}`);
    const delta = ringFromBytes(await link.receive(), totalWeights(plan), 'masked weights');
    link.maxMessageBytes = maxProtocolMessage(plan);
    const feed = new MaterialFeed(options.dealer, options.tls, 0, options.lookahead ?? 1);
    feed.open(hello.sessionId, plan, '', createHash('sha256').update(hello.planJson).digest());
    return new DataOwnerSession(plan, hello.classes, preprocessing, deltaWeights(plan, delta), new CountingLink(link), call, client, feed);
  }

  /** Images of dealer material already here (the dealer works ahead while the parties are idle). */
  get readyImages(): number {
    return this.feed.readyImages;
  }

  /** One normalised image (HWC); `remaining` counts this and the images still to come. */
  async infer(x: Float32Array, remaining: number): Promise<SecureResult> {
    const input = encodeFixed(x, this.plan.input.fractionBits, this.plan.input.limit, 'pixel');
    const t0 = performance.now();
    const dealerBefore = this.feed.receivedBytes;
    const material = await this.feed.nextImage(remaining);
    const ctx = { party: 0 as const, plan: this.plan, link: this.link, weights: this.weights };
    precompute(ctx, material);
    const before = { bytes: this.link.sentBytes + this.link.receivedBytes, rounds: this.link.rounds };
    const t1 = performance.now();
    this.call.write({ beginImage: remaining });
    const result = await runImage(ctx, material, input);
    const t2 = performance.now();
    const classIndex = result.classIndex!;
    let probabilities: number[] | undefined;
    if (result.logits) {
      const l = Array.from(decodeFixed(result.logits, this.plan.tensors[this.plan.logits]!.scale));
      const m = Math.max(...l);
      const e = l.map((v) => Math.exp(v - m));
      const s = e.reduce((a, b) => a + b, 0);
      probabilities = e.map((v) => v / s);
    }
    return {
      classIndex,
      className: this.classes[classIndex]!,
      probabilities,
      onlineSeconds: (t2 - t1) / 1000,
      totalSeconds: (t2 - t0) / 1000,
      onlineBytes: this.link.sentBytes + this.link.receivedBytes - before.bytes,
      rounds: this.link.rounds - before.rounds,
      dealerBytes: this.feed.receivedBytes - dealerBefore,
    };
  }

  close(): void {
    this.feed.close();
    this.call.end();
    this.client.close();
  }
}
