/**
 * The dealer process: for each session the model owner registers (with its
 * plan), it makes the weight mask seed and then every image's material, ahead
 * of time while idle (up to a pool budget), or on demand when a party asks
 * for more than the pool holds. It sees no online message and no image.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { parseAddress, formatAddress, peerCommonName, serverOptions, type TlsMaterial } from '../net/index.js';
import { checkPlan, dealStep, encodeStep, newSessionSeed, planSteps, weightMask, SmpcError, type Plan, type Step } from '../smpc/index.js';
import { useNativeRingKernel } from './ring-kernel.js';
import { ROLE_NAMES, serverCredentials } from './tls.js';
import { CHUNK_BYTES, MAX_GRPC_MESSAGE, smpcServices, type MaterialChunk, type MaterialRequest, SMPC_KEEPALIVE } from './wire.js';

export interface DealerOptions {
  listen: string;
  tls: TlsMaterial;
  /** Bytes of material kept ready per session (default 512 MiB). */
  poolBytes?: number;
  log?: (line: string) => void;
}

const MAX_PLAN_JSON = 16 << 20;
const MAX_IMAGES_PER_REQUEST = 100_000;

class DealerSession {
  readonly steps: Step[];
  readonly seed = newSessionSeed();
  readonly mask: BigUint64Array;
  readonly hash: Buffer;
  private readonly ready = new Map<number, [Buffer | null, Buffer | null]>();
  private generated = 0;
  readonly cursor: [number, number] = [0, 0];
  pooled = 0;
  readonly sent: [number, number] = [0, 0];
  open = 2;
  private filling = false;
  constructor(
    readonly plan: Plan,
    planJson: string,
    private readonly poolBytes: number,
  ) {
    this.steps = planSteps(plan);
    this.mask = weightMask(plan, this.seed);
    this.hash = createHash('sha256').update(planJson).digest();
  }
  private generate(): void {
    const g = this.generated++;
    const pair = dealStep(this.plan, this.steps[g % this.steps.length]!, this.mask);
    const halves = pair.map((s) => Buffer.concat(encodeStep(s))) as [Buffer, Buffer];
    this.pooled += halves[0].byteLength + halves[1].byteLength;
    this.ready.set(g, halves);
  }
  /** Pregeneration while idle: one step per event-loop turn, until the pool is full. */
  fill(): void {
    if (this.filling) return;
    this.filling = true;
    const tick = (): void => {
      if (this.open === 0 || this.pooled >= this.poolBytes) {
        this.filling = false;
        return;
      }
      this.generate();
      setImmediate(tick);
    };
    setImmediate(tick);
  }
  take(party: 0 | 1): Buffer {
    const g = this.cursor[party]++;
    while (this.generated <= g) this.generate();
    const halves = this.ready.get(g)!;
    const mine = halves[party]!;
    halves[party] = null;
    this.pooled -= mine.byteLength;
    if (!halves[1 - party]) this.ready.delete(g);
    this.sent[party] += mine.byteLength;
    return mine;
  }
}

export interface RunningDealer {
  address: string;
  close(): Promise<void>;
}

export async function startDealer(options: DealerOptions): Promise<RunningDealer> {
  const log = options.log ?? (() => {});
  log(`dealer: ${useNativeRingKernel()}`);
  const sessions = new Map<string, DealerSession>();
  const waiting = new Map<string, ((s: DealerSession) => void)[]>();
  const server = new grpc.Server({ ...serverOptions({ maxMessageBytes: MAX_GRPC_MESSAGE }), ...SMPC_KEEPALIVE });
  const handler = (call: grpc.ServerDuplexStream<MaterialRequest, MaterialChunk>): void => {
    let party: 0 | 1;
    try {
      party = peerCommonName(call) === ROLE_NAMES.modelOwner ? 1 : 0;
    } catch (e) {
      call.write({ error: (e as Error).message });
      call.end();
      return;
    }
    let session: DealerSession | undefined;
    let queue = Promise.resolve();
    const fail = (e: unknown): void => {
      call.write({ error: e instanceof Error ? e.message : String(e) });
      call.end();
    };
    const serve = async (images: number): Promise<void> => {
      const s = session!;
      for (let k = 0; k < images * s.steps.length; k++) {
        const bytes = s.take(party);
        for (let off = 0; off < bytes.byteLength || off === 0; off += CHUNK_BYTES) {
          if (!call.write({ data: bytes.subarray(off, Math.min(bytes.byteLength, off + CHUNK_BYTES)) })) await once(call, 'drain');
          if (bytes.byteLength === 0) break;
        }
      }
      s.fill();
    };
    call.on('data', (req: MaterialRequest) => {
      queue = queue
        .then(async () => {
          if (req.body === 'open' && req.open && !session) {
            const id = req.open.sessionId;
            if (!/^[0-9a-f]{32}$/.test(id)) throw new SmpcError('message', 'session id must be 32 hex digits');
            if (party === 1) {
              if (req.open.planJson.length > MAX_PLAN_JSON) throw new SmpcError('message', 'plan too large');
              if (sessions.has(id)) throw new SmpcError('message', `session ${id} exists already`);
              const plan = JSON.parse(req.open.planJson) as Plan;
              checkPlan(plan);
              session = new DealerSession(plan, req.open.planJson, options.poolBytes ?? 512 << 20);
              sessions.set(id, session);
              for (const w of waiting.get(id) ?? []) w(session);
              waiting.delete(id);
              call.write({ weightSeed: Buffer.from(session.seed) });
              log(`dealer: session ${id.slice(0, 8)} opened (${session.steps.length} steps per image)`);
              session.fill();
            } else {
              session =
                sessions.get(id) ??
                (await Promise.race([
                  new Promise<DealerSession>((resolve) => waiting.set(id, [...(waiting.get(id) ?? []), resolve])),
                  new Promise<never>((_, reject) => setTimeout(() => reject(new SmpcError('message', `no session ${id}`)), 30_000)),
                ]));
              if (!session.hash.equals(req.open.planSha256)) throw new SmpcError('message', 'the data owner runs a different plan than the model owner registered');
            }
          } else if (req.body === 'images' && session) {
            const n = req.images ?? 0;
            if (!Number.isInteger(n) || n < 1 || n > MAX_IMAGES_PER_REQUEST) throw new SmpcError('message', `bad image count ${n}`);
            await serve(n);
          } else throw new SmpcError('message', 'unexpected request');
        })
        .catch(fail);
    });
    const closed = (): void => {
      if (!session) return;
      const s = session;
      session = undefined;
      if (--s.open === 0) {
        for (const [id, v] of sessions) if (v === s) sessions.delete(id);
        log(`dealer: session closed; material sent to the data owner ${(s.sent[0] / 1e6).toFixed(1)} MB, to the model owner ${(s.sent[1] / 1e6).toFixed(1)} MB`);
      }
    };
    call.on('end', () => {
      closed();
      call.end();
    });
    call.on('error', closed);
  };
  server.addService(smpcServices().dealer.service, { Material: handler });
  const { host, port } = parseAddress(options.listen);
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(formatAddress({ host, port }), serverCredentials(options.tls), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    address: formatAddress({ host, port: bound }),
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
