/**
 * proto/privmed/v1/smpc.proto at runtime, the shapes of its messages as
 * proto-loader produces them (camelCase, oneof name in a virtual field), and
 * a Link over a stream of frames: protocol messages cut into chunks of at
 * most CHUNK_BYTES and reassembled, with a bound on what a peer may send.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { PrivmedError } from '../common/errors.js';
import { SmpcError, type Link } from '../smpc/index.js';

const SMPC_PROTO = 'privmed/v1/smpc.proto';
export const CHUNK_BYTES = 4 << 20;
export const MAX_GRPC_MESSAGE = 8 << 20;
/**
 * Keepalive for the smpc streams: a party computing a large layer (a 224 px
 * ResNet-18's convolution, a dealer step of 800k comparison keys) cannot answer
 * an HTTP/2 ping for a long while on a busy machine; the federation's 10 s
 * would drop the connection mid-image.
 */
export const SMPC_KEEPALIVE = { 'grpc.keepalive_time_ms': 60_000, 'grpc.keepalive_timeout_ms': 600_000 } as const;
/**
 * A client's HTTP/2 receive window: the dealer's material (tens of MB per image)
 * and the model owner's 200 kB openings would otherwise stall every 64 kB until
 * the receiver's event loop acknowledges them.
 */
export const SMPC_CLIENT_WINDOW = { 'grpc-node.flow_control_window': 16 << 20 } as const;

/**
 * The same 16 MB window for what a server receives (the data owner's openings and masked
 * inputs at the model owner: 250-400 kB per ResNet-18 layer at 28 px, 6 MB at 224 px).
 * grpc-js has no server option for it, so it is set on the call's HTTP/2 session: the
 * connection window, and the initial stream window by a SETTINGS frame (which also applies to
 * open streams). Without it every 64 kB waits for the receiver's event loop to acknowledge,
 * a scheduler slice each on a loaded machine. Returns whether the session was reached.
 */
export function widenServerWindow(call: unknown): boolean {
  type Session = { setLocalWindowSize?(n: number): void; settings?(s: { initialWindowSize: number }): void };
  let c = (call as { call?: unknown }).call as { stream?: { session?: Session }; nextCall?: unknown } | undefined;
  for (let i = 0; i < 8 && c && !c.stream && c.nextCall; i++) c = c.nextCall as typeof c;
  const session = c?.stream?.session;
  if (!session?.setLocalWindowSize || !session.settings) return false;
  session.setLocalWindowSize(SMPC_CLIENT_WINDOW['grpc-node.flow_control_window']);
  session.settings({ initialWindowSize: SMPC_CLIENT_WINDOW['grpc-node.flow_control_window'] });
  return true;
}

export interface SmpcHello {
  planJson: string;
  classes: string[];
  preprocessingJson: string;
  sessionId: string;
  deltaBytes: number;
}
export interface DataChunk {
  data: Buffer;
  last: boolean;
}
export interface SmpcFrame {
  hello?: SmpcHello;
  chunk?: DataChunk;
  beginImage?: number;
  error?: string;
  body?: 'hello' | 'chunk' | 'beginImage' | 'error';
}
export interface MaterialRequest {
  open?: { sessionId: string; planJson: string; planSha256: Buffer };
  images?: number;
  body?: 'open' | 'images';
}
export interface MaterialChunk {
  weightSeed?: Buffer;
  data?: Buffer;
  error?: string;
  body?: 'weightSeed' | 'data' | 'error';
}

export interface DuplexLike<Out> {
  write(message: Out): boolean;
  on(event: 'data', listener: (m: never) => void): unknown;
  on(event: 'error', listener: (e: Error) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
}

function protoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, 'proto');
    if (existsSync(join(candidate, SMPC_PROTO))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new PrivmedError(`cannot find ${SMPC_PROTO} above ${fileURLToPath(import.meta.url)}`, { hint: 'the proto/ folder must ship with the package' });
}

type ServiceCtor = grpc.ServiceClientConstructor;
let services: { modelOwner: ServiceCtor; dealer: ServiceCtor } | undefined;

export function smpcServices(): { modelOwner: ServiceCtor; dealer: ServiceCtor } {
  if (services) return services;
  const definition = protoLoader.loadSync(SMPC_PROTO, { includeDirs: [protoRoot()], keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as { privmed: { v1: { SmpcModelOwner: ServiceCtor; SmpcDealer: ServiceCtor } } };
  services = { modelOwner: pkg.privmed.v1.SmpcModelOwner, dealer: pkg.privmed.v1.SmpcDealer };
  return services;
}

/** Writes `bytes` as chunk frames built by `frame`. */
export function writeChunked<T>(stream: { write(m: T): boolean }, bytes: Uint8Array, frame: (data: Buffer, last: boolean) => T): void {
  if (bytes.byteLength === 0) {
    stream.write(frame(Buffer.alloc(0), true));
    return;
  }
  for (let off = 0; off < bytes.byteLength; off += CHUNK_BYTES) {
    const end = Math.min(bytes.byteLength, off + CHUNK_BYTES);
    stream.write(frame(Buffer.from(bytes.buffer, bytes.byteOffset + off, end - off), end === bytes.byteLength));
  }
}

/** An async queue that fails every waiter once the stream fails. */
export class Inbox<T> {
  private items: T[] = [];
  private waiters: { resolve: (v: T) => void; reject: (e: Error) => void }[] = [];
  private failure?: Error;
  push(item: T): void {
    const w = this.waiters.shift();
    if (w) w.resolve(item);
    else this.items.push(item);
  }
  fail(error: Error): void {
    this.failure ??= error;
    for (const w of this.waiters.splice(0)) w.reject(error);
  }
  get size(): number {
    return this.items.length;
  }
  next(): Promise<T> {
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve(item);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }
}

/**
 * Both directions of the DO-MO session stream: protocol messages (reassembled
 * chunks, each message at most maxMessageBytes), hello and begin-image frames.
 */
export class FrameLink implements Link {
  readonly messages = new Inbox<Uint8Array>();
  readonly hellos = new Inbox<SmpcHello>();
  readonly begins = new Inbox<number>();
  private parts: Buffer[] = [];
  private partBytes = 0;
  constructor(
    private readonly stream: DuplexLike<SmpcFrame>,
    /** Bound on one reassembled message; may be tightened once the plan is known. */
    public maxMessageBytes: number,
    who: string,
  ) {
    stream.on('data', (f: SmpcFrame) => this.onFrame(f, who));
    stream.on('error', (e: Error) => this.failAll(new SmpcError('message', `${who}: ${e.message}`)));
    stream.on('end', () => this.failAll(new SmpcError('message', `${who} closed the session`)));
  }
  private failAll(e: Error): void {
    this.messages.fail(e);
    this.hellos.fail(e);
    this.begins.fail(e);
  }
  private onFrame(f: SmpcFrame, who: string): void {
    if (f.body === 'chunk' && f.chunk) {
      this.partBytes += f.chunk.data.byteLength;
      if (this.partBytes > this.maxMessageBytes) return this.failAll(new SmpcError('message', `${who} sent a message over ${this.maxMessageBytes} bytes`));
      this.parts.push(f.chunk.data);
      if (f.chunk.last) {
        const whole = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
        this.parts = [];
        this.partBytes = 0;
        this.messages.push(new Uint8Array(whole.buffer, whole.byteOffset, whole.byteLength));
      }
    } else if (f.body === 'hello' && f.hello) this.hellos.push(f.hello);
    else if (f.body === 'beginImage') this.begins.push(f.beginImage ?? 0);
    else if (f.body === 'error') this.failAll(new SmpcError('message', `${who}: ${f.error}`));
    else this.failAll(new SmpcError('message', `${who} sent an unknown frame`));
  }
  send(bytes: Uint8Array): void {
    writeChunked(this.stream, bytes, (data, last) => ({ chunk: { data, last } }));
  }
  receive(): Promise<Uint8Array> {
    return this.messages.next();
  }
}
