/**
 * A computing party's stream of dealer material: asks for images ahead of
 * use (so the dealer's transfer overlaps the previous image's online phase),
 * cuts the byte stream into steps of the exact sizes the plan implies and
 * decodes them.
 */
import * as grpc from '@grpc/grpc-js';
import { channelOptions, type TlsMaterial } from '../net/index.js';
import { decodeStep, planSteps, stepBytes, SmpcError, type Plan, type Step, type StepShare } from '../smpc/index.js';
import { clientCredentials } from './tls.js';
import { Inbox, MAX_GRPC_MESSAGE, smpcServices, type MaterialChunk, type MaterialRequest, SMPC_KEEPALIVE, SMPC_CLIENT_WINDOW } from './wire.js';

export class MaterialFeed {
  readonly images = new Inbox<StepShare[]>();
  readonly seed = new Inbox<Uint8Array>();
  receivedBytes = 0;
  private steps: Step[] = [];
  private current: StepShare[] = [];
  private buffer: Buffer[] = [];
  private buffered = 0;
  private requested = 0;
  private consumed = 0;
  private readonly client: grpc.Client;
  private readonly call: grpc.ClientDuplexStream<MaterialRequest, MaterialChunk>;
  constructor(
    address: string,
    tls: TlsMaterial,
    private readonly party: 0 | 1,
    private readonly lookahead = 1,
  ) {
    const Ctor = smpcServices().dealer;
    this.client = new Ctor(address, clientCredentials(tls), { ...channelOptions(MAX_GRPC_MESSAGE), ...SMPC_KEEPALIVE, ...SMPC_CLIENT_WINDOW });
    this.call = (this.client as unknown as { Material(): grpc.ClientDuplexStream<MaterialRequest, MaterialChunk> }).Material();
    const fail = (e: Error): void => {
      this.images.fail(e);
      this.seed.fail(e);
    };
    this.call.on('data', (c: MaterialChunk) => {
      try {
        this.onChunk(c);
      } catch (e) {
        fail(e as Error);
        this.call.cancel();
      }
    });
    this.call.on('error', (e: Error) => fail(new SmpcError('message', `dealer at ${address}: ${e.message}`)));
    this.call.on('end', () => fail(new SmpcError('message', `dealer at ${address} closed the stream`)));
  }
  /** Registers the session (model owner, with the plan) or joins it (data owner, with the plan's hash). */
  open(sessionId: string, plan: Plan, planJson: string, planSha256: Uint8Array): void {
    this.steps = planSteps(plan);
    this.call.write({ open: { sessionId, planJson: this.party === 1 ? planJson : '', planSha256: Buffer.from(planSha256) } });
  }
  private onChunk(c: MaterialChunk): void {
    if (c.body === 'error') throw new SmpcError('material', `dealer: ${c.error}`);
    if (c.body === 'weightSeed' && c.weightSeed) return this.seed.push(new Uint8Array(c.weightSeed));
    if (c.body !== 'data' || !c.data) throw new SmpcError('message', 'dealer sent an unknown message');
    this.receivedBytes += c.data.byteLength;
    this.buffer.push(c.data);
    this.buffered += c.data.byteLength;
    for (;;) {
      const step = this.steps[this.current.length];
      if (!step) throw new SmpcError('message', 'dealer sent material beyond the plan');
      const need = stepBytes(step, this.party);
      if (this.buffered < need) return;
      const all = this.buffer.length === 1 ? this.buffer[0]! : Buffer.concat(this.buffer);
      const own = new Uint8Array(all.byteLength >= need ? all.subarray(0, need) : all);
      this.current.push(decodeStep(step, this.party, own.byteOffset % 8 === 0 ? own : own.slice()));
      const rest = all.subarray(need);
      this.buffer = rest.byteLength ? [rest] : [];
      this.buffered = rest.byteLength;
      if (this.current.length === this.steps.length) {
        this.images.push(this.current);
        this.current = [];
      }
      if (this.buffered === 0) return;
    }
  }
  /** Images whose material has fully arrived and is not yet used. */
  get readyImages(): number {
    return this.images.size;
  }
  /** The next image's material; keeps `lookahead` more images requested. */
  async nextImage(remaining: number): Promise<StepShare[]> {
    const want = Math.min(this.consumed + 1 + this.lookahead, this.consumed + Math.max(1, remaining));
    if (want > this.requested) {
      this.call.write({ images: want - this.requested });
      this.requested = want;
    }
    const m = await this.images.next();
    this.consumed++;
    return m;
  }
  close(): void {
    this.call.end();
    this.client.close();
  }
}
