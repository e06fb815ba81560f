/**
 * privmed's native kernels: a Node-API add-on of C kernels (native/), built
 * from source by `npm ci` (scripts/build-native.mjs) when a C toolchain is
 * there. It works in place on tfjs-backend-wasm's heap; the wasm kernels stay
 * the fallback whenever the add-on is missing, fails to load, or is switched off.
 *
 *   PRIVMED_ENGINE      unset: native when it loads and the CPU has AVX2+FMA or
 *                       AVX-512; 'wasm' or 'native' forces one.
 *   PRIVMED_NATIVE_ISA  avx512 | avx2 | scalar: pins the instruction set (tests, benchmarks).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { PrivmedError } from '../common/errors.js';

export type EngineName = 'native' | 'wasm';
export type NativeIsa = 'avx512' | 'avx2' | 'scalar';

export interface NativeAddon {
  init(threads: number, isa?: NativeIsa): { isa: NativeIsa; best: NativeIsa; threads: number };
  conv2d(heap: Uint8Array, x: number, w: number, bias: number, y: number, ...geometryAndAct: number[]): number;
  conv2dBackpropFilter(heap: Uint8Array, x: number, dy: number, dw: number, ...geometry: number[]): number;
  /** Each sample's filter gradient, dw [N, KH, KW, CI, CO] (the same sums as conv2dBackpropFilter on that sample alone). */
  conv2dBackpropFilterPerSample(heap: Uint8Array, x: number, dy: number, dw: number, ...geometry: number[]): number;
  conv2dBackpropInput(heap: Uint8Array, dy: number, w: number, dx: number, ...geometry: number[]): number;
  matMul(heap: Uint8Array, a: number, b: number, bias: number, c: number, m: number, k: number, n: number, ta: number, tb: number, act: number): number;
  binary(heap: Uint8Array, op: number, a: number, na: number, b: number, nb: number, out: number, n: number): number;
  maxPool(heap: Uint8Array, x: number, y: number, ...geometry: number[]): number;
  maxPoolGrad(heap: Uint8Array, x: number, dy: number, dx: number, ...geometry: number[]): number;
  norm(heap: Uint8Array, x: number, gamma: number, beta: number, y: number, mean: number, variance: number, n: number, s: number, c: number, g: number, eps: number): number;
  batchNorm(heap: Uint8Array, x: number, mean: number, variance: number, scale: number, offset: number, y: number, n: number, c: number, eps: number): number;
  relu(heap: Uint8Array, x: number, y: number, n: number): number;
  normParamGrads(
    heap: Uint8Array, dy: number, x: number, mean: number, variance: number, dgamma: number, dbeta: number, n: number, s: number, c: number, g: number, eps: number,
  ): number;
  fill32(heap: Uint8Array, y: number, bits: number, n: number): number;
  /**
   * DP-SGD clipping (native/clip.c): rows[v] holds count samples of sums[v].length values, or is a pair [a, d]
   * of factors (sample b's gradient is the outer product of a's row b and d's row b); kept[b] = 0 marks a dropped sample.
   */
  clipSum(
    rows: readonly (Float32Array | readonly [Float32Array, Float32Array])[], group: Int32Array, bounds: Float64Array, count: number,
    sums: readonly Float64Array[], kept: Uint8Array,
  ): number;
  reluGrad(heap: Uint8Array, dy: number, x: number, dx: number, n: number): number;
  /** DP noise (native/noise.c): out[i] = exact discrete Gaussian of scale 2^log2Scale from ChaCha20 under key (32 bytes). */
  discreteGaussian(key: Uint8Array, log2Scale: number, out: Float64Array): number;
  /** out[i] = float32((Math.round(f[i] / grid) + noise[i]) * grid / divisor); -1, or the first index off the grid's range. */
  gridRelease(f: Float64Array, noise: Float64Array, grid: number, divisor: number, out: Float32Array): number;
  /** The ChaCha20 keystream words the noise of a chunk reads (tests). */
  chachaWords(key: Uint8Array, chunk: number, out: Uint32Array): number;
  /** The same draw on a background thread: start it, then collect it (once) into out. */
  noiseStart(key: Uint8Array, log2Scale: number, count: number): NoiseHandle;
  noiseWait(handle: NoiseHandle, out: Float64Array): number;
  adam(
    heap: Uint8Array, w: number, g: number, m: number, v: number, w2: number, m2: number, v2: number, n: number,
    beta1: number, beta2: number, lr: number, eps: number, c1: number, c2: number,
  ): number;
  normGrad(
    heap: Uint8Array, dy: number, x: number, mean: number, variance: number, gamma: number, dx: number, dgamma: number, dbeta: number,
    n: number, s: number, c: number, g: number, eps: number,
  ): number;
  /**
   * Encrypted inference (native/ring.c): y = conv(x, w) mod 2^64 for one NHWC image, w [kh, kw, ci, co];
   * y is overwritten. Geometry: h, w, ci, kh, kw, co, oh, ow, sy, sx, padTop, padLeft. Absent in add-ons built before it.
   */
  ringConv?(x: BigUint64Array, w: BigUint64Array, y: BigUint64Array, ...geometry: number[]): number;
  /** The instruction set ringConv runs under the current pin: avx512 (with VPMULLQ), avx2 or scalar. */
  ringIsa?(): NativeIsa;
}

/** A background noise draw of the add-on (opaque). */
export type NoiseHandle = { readonly __noiseHandle: unique symbol };

export interface EngineChoice {
  engine: EngineName;
  /** Why the wasm engine runs (absent when native runs). */
  reason?: string;
  isa?: NativeIsa;
  /** The best instruction set this CPU offers the add-on. */
  best?: NativeIsa;
  threads: number;
}

/** From src/engine (tsx) or dist/src/engine (built). */
const ADDON_CANDIDATES = ['../../native/build/Release/privmed_native.node', '../../../native/build/Release/privmed_native.node'];
const STATUS_CANDIDATES = ['../../native/build/status.json', '../../../native/build/status.json'];
const ISAS: readonly NativeIsa[] = ['avx512', 'avx2', 'scalar'];

let addon: NativeAddon | null = null;
let choice: EngineChoice | null = null;
let pinned: EngineName | null = null;

function firstExisting(candidates: string[]): string | undefined {
  return candidates.map((rel) => fileURLToPath(new URL(rel, import.meta.url))).find((p) => existsSync(p));
}

/** Why the build produced no add-on, as scripts/build-native.mjs recorded it. */
function buildReason(): string {
  const status = firstExisting(STATUS_CANDIDATES);
  if (status === undefined) return 'no build was attempted (run `node scripts/build-native.mjs`)';
  try {
    const s = JSON.parse(readFileSync(status, 'utf8')) as { reason?: string };
    return s.reason ?? 'the build left no add-on';
  } catch {
    return `unreadable build status ${status}`;
  }
}

function loadAddon(): { addon: NativeAddon } | { reason: string } {
  const file = firstExisting(ADDON_CANDIDATES);
  if (file === undefined) return { reason: `native add-on not built: ${buildReason()}` };
  try {
    return { addon: createRequire(import.meta.url)(file) as NativeAddon };
  } catch (cause) {
    return { reason: `native add-on failed to load: ${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)}` };
  }
}

function parseEngineEnv(env: NodeJS.ProcessEnv): EngineName | 'auto' {
  const raw = env.PRIVMED_ENGINE ?? '';
  if (raw === '' || raw === 'auto') return 'auto';
  if (raw === 'wasm' || raw === 'native') return raw;
  throw new PrivmedError(`PRIVMED_ENGINE must be 'wasm' or 'native', got '${raw}'`, { hint: 'unset it to use native kernels when they are built' });
}

function parseIsaEnv(env: NodeJS.ProcessEnv): NativeIsa | undefined {
  const raw = env.PRIVMED_NATIVE_ISA ?? '';
  if (raw === '') return undefined;
  if ((ISAS as readonly string[]).includes(raw)) return raw as NativeIsa;
  throw new PrivmedError(`PRIVMED_NATIVE_ISA must be one of ${ISAS.join(', ')}, got '${raw}'`);
}

/**
 * Decides the engine once per process (the native thread pool starts here).
 * Throws when PRIVMED_ENGINE=native cannot be honoured.
 */
export function chooseEngine(threads: number, env: NodeJS.ProcessEnv = process.env): EngineChoice {
  if (choice !== null) return choice;
  const wanted = parseEngineEnv(env);
  const isa = parseIsaEnv(env);
  if (wanted === 'wasm') {
    choice = { engine: 'wasm', reason: 'PRIVMED_ENGINE=wasm', threads };
  } else {
    const loaded = loadAddon();
    if ('reason' in loaded) {
      if (wanted === 'native') throw new PrivmedError(`PRIVMED_ENGINE=native, but the ${loaded.reason}`, { hint: 'install a C compiler and python3, then run `node scripts/build-native.mjs`' });
      choice = { engine: 'wasm', reason: loaded.reason, threads };
    } else {
      let info: ReturnType<NativeAddon['init']>;
      try {
        info = loaded.addon.init(threads, isa);
      } catch (cause) {
        throw new PrivmedError(`PRIVMED_NATIVE_ISA=${isa}: ${cause instanceof Error ? cause.message : String(cause)}`);
      }
      addon = loaded.addon;
      if (wanted === 'auto' && info.isa === 'scalar' && isa === undefined) {
        choice = { engine: 'wasm', reason: 'native add-on built, but this CPU has neither AVX-512 nor AVX2+FMA', best: info.best, threads };
      } else {
        choice = { engine: 'native', isa: info.isa, best: info.best, threads: info.threads };
      }
    }
  }
  return choice;
}

/** The loaded add-on while the native engine is active, else null (the wasm kernels run). */
export function nativeKernels(): NativeAddon | null {
  return activeEngine() === 'native' ? addon : null;
}

/**
 * Tests and benchmarks switch engines inside one process (null: back to the
 * chosen one). 'native' needs the add-on loaded; returns whether it is.
 */
export function useEngine(engine: EngineName | null): boolean {
  pinned = engine;
  return engine !== 'native' || addon !== null;
}

/** Re-initialises the add-on with another instruction set (tests); returns the one now in use. */
export function useNativeIsa(isa: NativeIsa): NativeIsa | null {
  if (addon === null || choice === null) return null;
  return addon.init(choice.threads, isa).isa;
}

export function activeEngine(): EngineName {
  const engine = pinned ?? choice?.engine ?? 'wasm';
  return engine === 'native' && addon !== null ? 'native' : 'wasm';
}

/** The choice made at initialisation, or null before it. */
export function engineChoice(): EngineChoice | null {
  return choice;
}
