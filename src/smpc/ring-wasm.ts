/**
 * The ring convolution's inner loops in WebAssembly, whose i64 multiply and
 * add are the ring operations of Z_2^64 (JavaScript BigInt boxes them). The
 * module has two functions, assembled here from their opcodes (no build step):
 *
 *   rows(acc, w, x, cin, cout):  for ci < cin, co < cout:
 *     acc[co] += x[ci] * w[ci * cout + co]        (all i64, little-endian)
 *   rows8(acc, w, x, groups, cout): the same for cin = 8 groups, eight input
 *     channels per pass over acc (one load and store of acc per 8 products)
 */
const I32 = 0x7f;
const I64 = 0x7e;
const get = (i: number): number[] => [0x20, i];
const set = (i: number): number[] => [0x21, i];
const i32c = (v: number): number[] => [0x41, ...sleb(v)];
/** Signed LEB128 of a small non-negative constant (64 already needs two bytes). */
function sleb(v: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if (v === 0 && (b & 0x40) === 0) return [...out, b];
    out.push(b | 0x80);
  }
}
const [ADD32, SHL32, GEU32, MUL64, ADD64] = [0x6a, 0x74, 0x4f, 0x7e, 0x7c];
const LOAD64 = [0x29, 3, 0];
const load64At = (offset: number): number[] => [0x29, 3, ...leb(offset)];
const STORE64 = [0x37, 3, 0];
const [BLOCK, LOOP, END, BR, BR_IF, VOID] = [0x02, 0x03, 0x0b, 0x0c, 0x0d, 0x40];

// params: 0 acc, 1 w, 2 x, 3 cin, 4 cout; locals: 5 xv (i64), 6 a, 7 aend, 8 xend
const body = [
  ...get(2), ...get(3), ...i32c(3), SHL32, ADD32, ...set(8),
  BLOCK, VOID,
  LOOP, VOID,
  ...get(2), ...get(8), GEU32, BR_IF, 1,
  ...get(2), ...LOAD64, ...set(5),
  ...get(0), ...set(6),
  ...get(0), ...get(4), ...i32c(3), SHL32, ADD32, ...set(7),
  BLOCK, VOID,
  LOOP, VOID,
  ...get(6), ...get(7), GEU32, BR_IF, 1,
  ...get(6), ...get(6), ...LOAD64, ...get(1), ...LOAD64, ...get(5), MUL64, ADD64, ...STORE64,
  ...get(6), ...i32c(8), ADD32, ...set(6),
  ...get(1), ...i32c(8), ADD32, ...set(1),
  BR, 0,
  END, END,
  ...get(2), ...i32c(8), ADD32, ...set(2),
  BR, 0,
  END, END,
  END,
];

/** rowsN: n (4 or 8) input channels per pass. params: 0 acc, 1 w, 2 x, 3 groups, 4 cout; locals: x0..x(n-1) (i64), then a, aend, stride, xend, q. */
const MUL32 = 0x6c;
function bodyN(n: number, log2n: number): number[] {
  const [a, aend, stride, xend, q] = [5 + n, 6 + n, 7 + n, 8 + n, 9 + n];
  const wAt = (k: number): number[] => (k === 0 ? get(q) : [...get(q), ...get(stride), ...(k > 1 ? [...i32c(k), MUL32] : []), ADD32]);
  const loads: number[] = [];
  const products: number[] = [];
  for (let k = 0; k < n; k++) {
    loads.push(...get(2), ...load64At(8 * k), ...set(5 + k));
    products.push(...wAt(k), ...LOAD64, ...get(5 + k), MUL64, ADD64);
  }
  return [
    ...get(4), ...i32c(3), SHL32, ...set(stride),
    ...get(2), ...get(3), ...i32c(3 + log2n), SHL32, ADD32, ...set(xend),
    BLOCK, VOID,
    LOOP, VOID,
    ...get(2), ...get(xend), GEU32, BR_IF, 1,
    ...loads,
    ...get(0), ...set(a),
    ...get(0), ...get(stride), ADD32, ...set(aend),
    ...get(1), ...set(q),
    BLOCK, VOID,
    LOOP, VOID,
    ...get(a), ...get(aend), GEU32, BR_IF, 1,
    ...get(a),
    ...get(a), ...LOAD64,
    ...products,
    ...STORE64,
    ...get(a), ...i32c(8), ADD32, ...set(a),
    ...get(q), ...i32c(8), ADD32, ...set(q),
    BR, 0,
    END, END,
    ...get(1), ...get(stride), ...i32c(log2n), SHL32, ADD32, ...set(1),
    ...get(2), ...i32c(8 * n), ADD32, ...set(2),
    BR, 0,
    END, END,
    END,
  ];
}

function section(id: number, content: number[]): number[] {
  return [id, ...leb(content.length), ...content];
}

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

const name = (s: string): number[] => [s.length, ...Buffer.from(s, 'latin1')];
const locals = [2, 1, I64, 3, I32];
const fn = [...locals, ...body];
const fn8 = [2, 8, I64, 5, I32, ...bodyN(8, 3)];
const moduleBytes = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  ...section(1, [1, 0x60, 5, I32, I32, I32, I32, I32, 0]),
  ...section(2, [1, ...name('env'), ...name('memory'), 0x02, 0x00, 0x01]),
  ...section(3, [2, 0, 0]),
  ...section(7, [2, ...name('rows'), 0x00, 0, ...name('rows8'), 0x00, 1]),
  ...section(10, [2, ...leb(fn.length), ...fn, ...leb(fn8.length), ...fn8]),
]);

const PAGE = 65536;

/** The slice of the WebAssembly API used here (privmed's TypeScript lib has no DOM types). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
const wasm = (
  globalThis as unknown as {
    WebAssembly: {
      Memory: new (d: { initial: number }) => WasmMemory;
      Module: new (bytes: Uint8Array) => object;
      Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
    };
  }
).WebAssembly;

type Rows = (acc: number, w: number, x: number, cin: number, cout: number) => void;
let instance: { memory: WasmMemory; rows: Rows; rows8: Rows } | undefined;

export function ringKernel(): { memory: WasmMemory; rows: Rows; rows8: Rows } {
  if (instance) return instance;
  const memory = new wasm.Memory({ initial: 1 });
  const inst = new wasm.Instance(new wasm.Module(moduleBytes), { env: { memory } });
  instance = { memory, rows: inst.exports.rows as Rows, rows8: inst.exports.rows8 as Rows };
  return instance;
}

/** Grows the kernel's memory to at least `bytes`. */
export function ensureMemory(bytes: number): WasmMemory {
  const k = ringKernel();
  const have = k.memory.buffer.byteLength;
  if (bytes > have) k.memory.grow(Math.ceil((bytes - have) / PAGE));
  return k.memory;
}
