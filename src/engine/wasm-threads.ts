/**
 * Runs tfjs-backend-wasm's multi-threaded build (XNNPACK on a pthreadpool) in
 * Node. tfjs ships that build but turns it off in Node (tfjs#3830) because its
 * loader hands Emscripten a Blob URL for the pthread worker, which Node's
 * worker_threads cannot start. privmed loads the same build itself:
 *
 *  - the worker script tfjs embeds as a string is written to a temporary .cjs
 *    file (removed at exit), so worker_threads can start it;
 *  - the thread count is set through the one import the module asks for it,
 *    the logical core count: the build sizes its pool as cores / 2 (a guess
 *    about hyper-threading), so it is told twice the threads wanted.
 *
 * Tensors, kernels and the BackendWasm class are tfjs's own, unchanged.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { PrivmedError } from '../common/errors.js';
import { wasmApi, type WasmImports } from './wasm-api.js';

const require = createRequire(import.meta.url);
const GLUE = '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js';
const WORKER = '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js';
/** Same priority tfjs gives its own wasm backend. */
const WASM_PRIORITY = 2;

/**
 * Threads for the wasm backend: PRIVMED_THREADS if set, else one per core
 * Node reports (os.availableParallelism follows cgroup/affinity limits).
 */
export function defaultThreadCount(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.PRIVMED_THREADS;
  if (raw === undefined || raw === '') return Math.max(1, availableParallelism());
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw new PrivmedError(`PRIVMED_THREADS must be a whole number from 1 to 64, got '${raw}'`, { hint: 'unset it to use one thread per core' });
  }
  return n;
}

interface EmscriptenModule {
  cwrap(name: string, ret: string | null, args: string[]): (...a: number[]) => number;
  tfjs?: Record<string, (...a: number[]) => number>;
  PThread: { runningWorkers: { unref(): void }[] };
}

type ModuleFactory = (config: Record<string, unknown>) => Promise<EmscriptenModule>;

/** Replaces the 'wasm' backend factory with one that loads the threaded build. */
export function registerThreadedWasmBackend(threads: number): void {
  tf.removeBackend('wasm');
  tf.registerBackend(
    'wasm',
    async () => {
      const module = await loadThreadedModule(threads);
      const backend = new BackendWasm(module as never);
      // The pool's threads wait in their workers for the next kernel; a waiting
      // (ref'd) worker would keep Node alive after the program is done.
      for (const worker of module.PThread.runningWorkers) worker.unref();
      return backend;
    },
    WASM_PRIORITY,
  );
}

async function loadThreadedModule(threads: number): Promise<EmscriptenModule> {
  const glue = require.resolve(GLUE);
  const wasmFile = join(dirname(glue), 'tfjs-backend-wasm-threaded-simd.wasm');
  const workerFile = writeWorkerScript();
  const factory = require(glue) as ModuleFactory;
  const events: NodeJS.EventEmitter = process;
  const rethrowing = ['uncaughtException', 'unhandledRejection'];
  const before = new Set(rethrowing.flatMap((event) => events.listeners(event)));
  const module = await factory({
    locateFile: (path: string, prefix: string) => (path.endsWith('.worker.js') ? workerFile : path.endsWith('.wasm') ? wasmFile : prefix + path),
    // The pthread workers load the module's JavaScript from here.
    mainScriptUrlOrBlob: glue,
    instantiateWasm: (imports: WasmImports, receive: (instance: unknown, module: unknown) => void) => {
      reportCores(imports, 2 * threads);
      void wasmApi.instantiate(readFileSync(wasmFile), imports).then((r) => receive(r.instance, r.module));
      return {};
    },
  });
  // Emscripten's handlers only rethrow, which makes Node print a line of the
  // minified glue instead of the error's own location; privmed reports errors itself.
  for (const event of rethrowing) {
    for (const listener of events.listeners(event)) if (!before.has(listener)) events.removeListener(event, listener as () => void);
  }
  // What tfjs's own loader adds (tfjs-backend-wasm/src/backend_wasm.ts).
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  return module;
}

/** The core-count import is the one whose body asks for hardwareConcurrency. */
function reportCores(imports: WasmImports, cores: number): void {
  for (const ns of Object.values(imports)) {
    for (const [name, fn] of Object.entries(ns)) {
      if (typeof fn === 'function' && /hardwareConcurrency/.test(String(fn))) ns[name] = () => cores;
    }
  }
}

let workerScript: string | null = null;

function writeWorkerScript(): string {
  if (workerScript !== null) return workerScript;
  const { wasmWorkerContents } = require(WORKER) as { wasmWorkerContents: string };
  const dir = mkdtempSync(join(tmpdir(), 'privmed-wasm-'));
  // tfjs stores the script in a template literal, which turned its "\n" escapes into newlines.
  writeFileSync(join(dir, 'pthread-worker.cjs'), wasmWorkerContents.replace(/\n/g, '\\n'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  workerScript = join(dir, 'pthread-worker.cjs');
  return workerScript;
}
