/**
 * The ring convolution's inner loops in WebAssembly, whose i64 multiply and
 * add are the ring operations of Z_2^64 (JavaScript BigInt boxes them). The
 * module has two functions, assembled here from their opcodes (no build step):
 *
 *   rows(acc, w, x, cin, cout):  for ci < cin, co < cout:
 *     acc[co] += x[ci] * w[ci * cout + co]        (all i64, little-endian)
 *   rows4(acc, w, x, groups, cout): the same for cin = 4 groups, four input
 *     channels per pass over acc (one load and store of acc per 4 products)
 */
const I32 = 0x7f;
const I64 = 0x7e;
const get = (i: number): number[] => [0x20, i];
const set = (i: number): number[] => [0x21, i];
const i32c = (v: number): number[] => [0x41, v];
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

// params: 0 acc, 1 w, 2 x, 3 groups, 4 cout; locals: 5-8 x0..x3 (i64), 9 a, 10 aend, 11 stride, 12 xend, 13 q
const MUL32 = 0x6c;
const wAt = (k: number): number[] => (k === 0 ? [...get(13)] : [...get(13), ...get(11), ...(k > 1 ? [...i32c(k), MUL32] : []), ADD32]);
const body4 = [
  ...get(4), ...i32c(3), SHL32, ...set(11),
  ...get(2), ...get(3), ...i32c(5), SHL32, ADD32, ...set(12),
  BLOCK, VOID,
  LOOP, VOID,
  ...get(2), ...get(12), GEU32, BR_IF, 1,
  ...get(2), ...load64At(0), ...set(5),
  ...get(2), ...load64At(8), ...set(6),
  ...get(2), ...load64At(16), ...set(7),
  ...get(2), ...load64At(24), ...set(8),
  ...get(0), ...set(9),
  ...get(0), ...get(11), ADD32, ...set(10),
  ...get(1), ...set(13),
  BLOCK, VOID,
  LOOP, VOID,
  ...get(9), ...get(10), GEU32, BR_IF, 1,
  ...get(9),
  ...get(9), ...LOAD64,
  ...wAt(0), ...LOAD64, ...get(5), MUL64, ADD64,
  ...wAt(1), ...LOAD64, ...get(6), MUL64, ADD64,
  ...wAt(2), ...LOAD64, ...get(7), MUL64, ADD64,
  ...wAt(3), ...LOAD64, ...get(8), MUL64, ADD64,
  ...STORE64,
  ...get(9), ...i32c(8), ADD32, ...set(9),
  ...get(13), ...i32c(8), ADD32, ...set(13),
  BR, 0,
  END, END,
  ...get(1), ...get(11), ...i32c(2), SHL32, ADD32, ...set(1),
  ...get(2), ...i32c(32), ADD32, ...set(2),
  BR, 0,
  END, END,
  END,
];

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
const fn4 = [2, 4, I64, 5, I32, ...body4];
const moduleBytes = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  ...section(1, [1, 0x60, 5, I32, I32, I32, I32, I32, 0]),
  ...section(2, [1, ...name('env'), ...name('memory'), 0x02, 0x00, 0x01]),
  ...section(3, [2, 0, 0]),
  ...section(7, [2, ...name('rows'), 0x00, 0, ...name('rows4'), 0x00, 1]),
  ...section(10, [2, ...leb(fn.length), ...fn, ...leb(fn4.length), ...fn4]),
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
let instance: { memory: WasmMemory; rows: Rows; rows4: Rows } | undefined;

export function ringKernel(): { memory: WasmMemory; rows: Rows; rows4: Rows } {
  if (instance) return instance;
  const memory = new wasm.Memory({ initial: 1 });
  const inst = new wasm.Instance(new wasm.Module(moduleBytes), { env: { memory } });
  instance = { memory, rows: inst.exports.rows as Rows, rows4: inst.exports.rows4 as Rows };
  return instance;
}

/** Grows the kernel's memory to at least `bytes`. */
export function ensureMemory(bytes: number): WasmMemory {
  const k = ringKernel();
  const have = k.memory.buffer.byteLength;
  if (bytes > have) k.memory.grow(Math.ceil((bytes - have) / PAGE));
  return k.memory;
}
