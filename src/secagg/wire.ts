import { SecAggError } from './errors.js';
import type { SecAggMessage } from './messages.js';

/**
 * Compact binary encoding of the protocol messages, for transports that
 * carry bytes and to count the bytes a round really costs. Layout:
 * magic "PSA", version, kind, then the fields in schema order; integers and
 * floats little-endian, strings and byte fields length-prefixed. Byte fields
 * start on a 4-byte boundary so a decoded masked vector can be viewed as a
 * Uint32Array without copying.
 */
type BaseType = 'u32' | 'f64' | 'string' | 'bytes' | 'u32[]' | { record: Schema } | { list: Schema };
/** Optional fields (authenticated rounds only) travel as empty / 0 and decode as absent. */
type OptionalType = 'bool?' | 'bytes?' | 'u32[]?' | { optionalList: Schema };
type FieldType = BaseType | OptionalType;
type Schema = ReadonlyArray<readonly [name: string, type: FieldType]>;

const participant: Schema = [
  ['nodeId', 'u32'],
  ['encryptionPublicKey', 'bytes'],
  ['maskPublicKey', 'bytes'],
  ['credential', 'bytes?'],
  ['signature', 'bytes?'],
];

const SCHEMAS: Record<SecAggMessage['kind'], { code: number; schema: Schema }> = {
  setup: {
    code: 1,
    schema: [
      [
        'params',
        {
          record: [
            ['roundId', 'string'],
            ['nodeIds', 'u32[]'],
            ['threshold', 'u32'],
            ['degree', 'u32'],
            ['vectorLength', 'u32'],
            ['clip', 'f64'],
            ['maxWeight', 'f64'],
            ['authenticated', 'bool?'],
          ],
        },
      ],
      ['graphNonceCommitment', 'bytes'],
    ],
  },
  'advertise-keys': {
    code: 2,
    schema: [
      ['roundId', 'string'],
      ['nodeId', 'u32'],
      ['encryptionPublicKey', 'bytes'],
      ['maskPublicKey', 'bytes'],
      ['credential', 'bytes?'],
      ['signature', 'bytes?'],
    ],
  },
  'key-broadcast': {
    code: 3,
    schema: [['roundId', 'string'], ['graphNonce', 'bytes'], ['participants', { list: participant }], ['neighbours', 'u32[]']],
  },
  'share-keys': {
    code: 4,
    schema: [
      ['roundId', 'string'],
      ['nodeId', 'u32'],
      ['selfMaskSeedCommitment', 'bytes'],
      ['shares', { list: [['to', 'u32'], ['ciphertext', 'bytes']] }],
    ],
  },
  'forwarded-shares': {
    code: 5,
    schema: [['roundId', 'string'], ['shares', { list: [['from', 'u32'], ['ciphertext', 'bytes']] }]],
  },
  'masked-input': {
    code: 6,
    schema: [['roundId', 'string'], ['nodeId', 'u32'], ['maskedVector', 'bytes']],
  },
  'unmask-request': {
    code: 7,
    schema: [
      ['roundId', 'string'],
      ['survivors', 'u32[]'],
      ['dropped', 'u32[]'],
      ['survivorSet', 'u32[]?'],
      ['signatures', { optionalList: [['nodeId', 'u32'], ['signature', 'bytes']] }],
    ],
  },
  'unmask-response': {
    code: 8,
    schema: [
      ['roundId', 'string'],
      ['nodeId', 'u32'],
      ['selfMaskSeedShares', { list: [['owner', 'u32'], ['share', 'bytes']] }],
      ['maskKeyShares', { list: [['owner', 'u32'], ['share', 'bytes']] }],
    ],
  },
  'consistency-check': { code: 9, schema: [['roundId', 'string'], ['survivors', 'u32[]']] },
  'consistency-signature': { code: 10, schema: [['roundId', 'string'], ['nodeId', 'u32'], ['signature', 'bytes']] },
};
const KIND_BY_CODE = new Map(Object.entries(SCHEMAS).map(([kind, { code }]) => [code, kind as SecAggMessage['kind']]));
const MAGIC = [0x50, 0x53, 0x41]; // "PSA"
const VERSION = 2;
const HEADER_BYTES = 5;
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

type Plain = Record<string, unknown>;

export function encodeMessage(message: SecAggMessage): Uint8Array {
  const { code, schema } = SCHEMAS[message.kind];
  const size = measure(schema, message as unknown as Plain, HEADER_BYTES);
  const out = new Uint8Array(size);
  out.set(MAGIC);
  out[3] = VERSION;
  out[4] = code;
  const end = write(schema, message as unknown as Plain, new DataView(out.buffer), out, HEADER_BYTES);
  if (end !== size) throw new Error(`secagg wire: wrote ${end} bytes, measured ${size}`);
  return out;
}

/** Decodes and shape-checks a message; fields are views into `bytes` where possible. */
export function decodeMessage(bytes: Uint8Array): SecAggMessage {
  if (bytes.length < HEADER_BYTES || MAGIC.some((b, i) => bytes[i] !== b)) throw malformed('not a secure-aggregation message');
  if (bytes[3] !== VERSION) throw malformed(`unsupported wire version ${bytes[3]}`);
  const kind = KIND_BY_CODE.get(bytes[4]!);
  if (kind === undefined) throw malformed(`unknown message kind ${bytes[4]}`);
  const reader = new Reader(bytes);
  reader.at = HEADER_BYTES;
  const body = read(SCHEMAS[kind].schema, reader);
  if (reader.at !== bytes.length) throw malformed(`${bytes.length - reader.at} trailing bytes after a ${kind} message`);
  return { kind, ...body } as unknown as SecAggMessage;
}

export type MessageOf<K extends SecAggMessage['kind']> = Extract<SecAggMessage, { kind: K }>;

/** Decodes a message that must be of one kind (what a party expects at its current stage). */
export function decodeMessageOf<K extends SecAggMessage['kind']>(bytes: Uint8Array, kind: K): MessageOf<K> {
  const message = decodeMessage(bytes);
  if (message.kind !== kind) throw new SecAggError('protocol', `expected a ${kind} message, got ${message.kind}`);
  return message as MessageOf<K>;
}

const NO_BYTES = new Uint8Array(0);

/** An optional field as the base type it travels as, with its value (absent: empty or 0). */
function base(type: FieldType, field: unknown): [BaseType, unknown] {
  if (type === 'bool?') return ['u32', field ? 1 : 0];
  if (type === 'bytes?') return ['bytes', field ?? NO_BYTES];
  if (type === 'u32[]?') return ['u32[]', field ?? []];
  if (typeof type === 'object' && 'optionalList' in type) return [{ list: type.optionalList }, field ?? []];
  return [type, field];
}

function isOptional(type: FieldType): boolean {
  return type === 'bool?' || type === 'bytes?' || type === 'u32[]?' || (typeof type === 'object' && 'optionalList' in type);
}

function measure(schema: Schema, value: Plain, at: number): number {
  for (const [name, optionalType] of schema) {
    const [type, field] = base(optionalType, value[name]);
    if (type === 'u32') at += 4;
    else if (type === 'f64') at += 8;
    else if (type === 'string') at += 4 + utf8Encoder.encode(field as string).length;
    else if (type === 'bytes') at = align4(at + 4) + (field as Uint8Array).length;
    else if (type === 'u32[]') at += 4 + 4 * (field as number[]).length;
    else if ('record' in type) at = measure(type.record, field as Plain, at);
    else {
      at += 4;
      for (const item of field as Plain[]) at = measure(type.list, item, at);
    }
  }
  return at;
}

function write(schema: Schema, value: Plain, view: DataView, out: Uint8Array, at: number): number {
  for (const [name, optionalType] of schema) {
    const [type, field] = base(optionalType, value[name]);
    if (type === 'u32') {
      view.setUint32(at, checkU32(field, name), true);
      at += 4;
    } else if (type === 'f64') {
      view.setFloat64(at, field as number, true);
      at += 8;
    } else if (type === 'string') {
      const encoded = utf8Encoder.encode(field as string);
      view.setUint32(at, encoded.length, true);
      out.set(encoded, at + 4);
      at += 4 + encoded.length;
    } else if (type === 'bytes') {
      const b = field as Uint8Array;
      view.setUint32(at, b.length, true);
      at = align4(at + 4);
      out.set(b, at);
      at += b.length;
    } else if (type === 'u32[]') {
      const list = field as number[];
      view.setUint32(at, list.length, true);
      at += 4;
      for (const v of list) {
        view.setUint32(at, checkU32(v, name), true);
        at += 4;
      }
    } else if ('record' in type) {
      at = write(type.record, field as Plain, view, out, at);
    } else {
      const list = field as Plain[];
      view.setUint32(at, list.length, true);
      at += 4;
      for (const item of list) at = write(type.list, item, view, out, at);
    }
  }
  return at;
}

class Reader {
  at = 0;
  private readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  take(n: number): number {
    const start = this.at;
    if (n < 0 || start + n > this.bytes.length) throw malformed('message is truncated');
    this.at += n;
    return start;
  }
  u32(): number {
    return this.view.getUint32(this.take(4), true);
  }
  f64(): number {
    return this.view.getFloat64(this.take(8), true);
  }
}

function read(schema: Schema, r: Reader): Plain {
  const out: Plain = {};
  for (const [name, optionalType] of schema) {
    const [type] = base(optionalType, undefined);
    readField(out, name, type, r);
    if (!isOptional(optionalType)) continue;
    const v = out[name];
    if (optionalType === 'bool?') {
      if (v !== 0 && v !== 1) throw malformed(`field ${name} must be 0 or 1, got ${String(v)}`);
      out[name] = true;
    }
    if (v === 0 || (v as { length: number }).length === 0) delete out[name];
  }
  return out;
}

function readField(out: Plain, name: string, type: BaseType, r: Reader): void {
  if (type === 'u32') out[name] = r.u32();
  else if (type === 'f64') out[name] = r.f64();
  else if (type === 'string') {
    const length = r.u32();
    const start = r.take(length);
    try {
      out[name] = utf8Decoder.decode(r.bytes.subarray(start, start + length));
    } catch {
      throw malformed(`field ${name} is not valid UTF-8`);
    }
  } else if (type === 'bytes') {
    const length = r.u32();
    r.take(align4(r.at) - r.at);
    const start = r.take(length);
    out[name] = r.bytes.subarray(start, start + length);
  } else if (type === 'u32[]') {
    const length = r.u32();
    if (length * 4 > r.bytes.length - r.at) throw malformed('message is truncated');
    out[name] = Array.from({ length }, () => r.u32());
  } else if ('record' in type) out[name] = read(type.record, r);
  else {
    const length = r.u32();
    // every record takes at least 4 bytes, so a huge count is caught before allocating
    if (length * 4 > r.bytes.length - r.at) throw malformed('message is truncated');
    out[name] = Array.from({ length }, () => read(type.list, r));
  }
}

function align4(at: number): number {
  return Math.ceil(at / 4) * 4;
}

function checkU32(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new SecAggError('malformed', `field ${name} must be an unsigned 32-bit integer, got ${String(value)}`);
  }
  return value;
}

function malformed(what: string): SecAggError {
  return new SecAggError('malformed', what);
}
