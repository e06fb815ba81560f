/**
 * Chooses and initialises the TensorFlow.js backend privmed computes on.
 *
 *  - wasm (default): tfjs-backend-wasm with XNNPACK, plus the privmed kernels
 *    that make training a conv net on it possible and fast; convolutions and
 *    matrix products run on privmed's native add-on when it is built
 *    (native-addon.ts), on the same tensors.
 *  - cpu: the pure-JS reference backend; slow, but the ground truth in tests.
 *  - tensorflow: libtensorflow through @tensorflow/tfjs-node, used only if the
 *    user installed it; privmed never depends on it.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-core's Node bundle registers no gradients; tfjs-layers' bundle registers
// all of core's on load. Without it tf.grad/variableGrads fail on any backend.
import '@tensorflow/tfjs-layers';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { PrivmedError } from '../common/errors.js';
import { PRIVMED_WASM_KERNELS, registerPrivmedWasmKernels } from './kernels/register.js';
import { defaultThreadCount, registerThreadedWasmBackend } from './wasm-threads.js';
import { chooseEngine } from './native-addon.js';
import { NATIVE_KERNELS } from './kernels/native-kernels.js';

export type BackendName = 'wasm' | 'cpu' | 'tensorflow';

export const BACKEND_NAMES: readonly BackendName[] = ['wasm', 'cpu', 'tensorflow'];

const TFJS_NODE = '@tensorflow/tfjs-node';

let wasmPathsSet = false;
let wasmThreads: number | null = null;

export interface BackendOptions {
  /**
   * wasm only: threads XNNPACK may use (default: PRIVMED_THREADS, else one per
   * core). Fixed by the first wasm initialisation in a process.
   */
  threads?: number;
}

/** Sets up `name` as the active backend and returns one line describing it. Idempotent. */
export async function initBackend(name: BackendName = 'wasm', opts: BackendOptions = {}): Promise<string> {
  switch (name) {
    case 'wasm':
      return initWasm(opts.threads);
    case 'cpu':
      await activate('cpu');
      return 'backend: cpu (pure JavaScript reference kernels, slow)';
    case 'tensorflow':
      await loadTfjsNode();
      await activate('tensorflow');
      return `backend: tensorflow (libtensorflow via ${TFJS_NODE})`;
    default:
      throw new PrivmedError(`unknown backend '${String(name)}'`, { hint: `choose one of: ${BACKEND_NAMES.join(', ')}` });
  }
}

async function initWasm(threads?: number): Promise<string> {
  if (wasmThreads === null) {
    wasmThreads = threads ?? defaultThreadCount();
    // One thread: tfjs's own loader and single-threaded build, as tfjs ships it.
    if (wasmThreads > 1) registerThreadedWasmBackend(wasmThreads);
  }
  const engine = chooseEngine(wasmThreads);
  pointWasmLoaderAtPackage();
  registerPrivmedWasmKernels();
  await activate('wasm');
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const count = (n: number) => `${n} thread${n === 1 ? '' : 's'}`;
  const wasmPart = `wasm ${simd ? 'simd' : 'no simd'}, ${count(getThreadsCount())}`;
  if (engine.engine === 'native') {
    return `engine: native ${engine.isa}, ${count(engine.threads)} (native kernels: ${NATIVE_KERNELS.join(', ')}; ${wasmPart} with privmed kernels: ${PRIVMED_WASM_KERNELS.join(', ')})`;
  }
  return `engine: ${wasmPart} (${engine.reason}; privmed kernels: ${PRIVMED_WASM_KERNELS.join(', ')})`;
}

/**
 * In Node the wasm package's CommonJS bundle finds its .wasm files next to
 * itself, so this is not strictly needed; setting the folder explicitly keeps
 * loading working when privmed itself is bundled into another file.
 */
function pointWasmLoaderAtPackage(): void {
  if (wasmPathsSet) return;
  const entry = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm');
  const folder = dirname(entry);
  if (existsSync(join(folder, 'tfjs-backend-wasm-simd.wasm'))) setWasmPaths(folder + '/');
  wasmPathsSet = true;
}

async function activate(name: string): Promise<void> {
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
    await tf.ready();
  } catch (cause) {
    throw new PrivmedError(`could not initialise the ${name} backend: ${String(cause instanceof Error ? cause.message : cause)}`, { cause });
  }
  if (!ok || tf.getBackend() !== name) {
    throw new PrivmedError(`could not initialise the ${name} backend`, {
      hint: name === 'wasm' ? 'check that node_modules/@tensorflow/tfjs-backend-wasm/dist holds the .wasm files' : undefined,
    });
  }
}

async function loadTfjsNode(): Promise<void> {
  if (tf.findBackendFactory('tensorflow') !== null) return;
  const specifier: string = TFJS_NODE; // a variable, so TypeScript does not require the package
  try {
    await import(specifier);
  } catch (cause) {
    const code = (cause as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new PrivmedError(`backend 'tensorflow' needs ${TFJS_NODE}, which is not installed`, {
        hint: `npm install ${TFJS_NODE}   (or choose the backend 'wasm', which needs nothing extra)`,
        cause,
      });
    }
    throw new PrivmedError(`backend 'tensorflow': loading ${TFJS_NODE} failed: ${String(cause instanceof Error ? cause.message : cause)}`, { cause });
  }
  if (tf.findBackendFactory('tensorflow') === null) {
    throw new PrivmedError(`backend 'tensorflow': ${TFJS_NODE} loaded but registered no backend with privmed's @tensorflow/tfjs-core`, {
      hint: `install the ${TFJS_NODE} version matching @tensorflow/tfjs-core ${tf.version_core}`,
    });
  }
}
