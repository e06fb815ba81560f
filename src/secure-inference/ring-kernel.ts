/**
 * The ring convolution of encrypted inference on privmed's native add-on
 * (native/ring.c): AVX-512 VPMULLQ tiles on the add-on's thread pool, bit for
 * bit the WebAssembly kernel's result (test/secure-inference/ring-kernel.test.ts).
 * src/smpc is a pure library below the engine, so the kernel is installed
 * into it from here; without the add-on (not built, PRIVMED_ENGINE=wasm, or
 * built before ringConv existed) the WebAssembly kernel stays.
 */
import { chooseEngine, nativeKernels } from '../engine/native-addon.js';
import { defaultThreadCount } from '../engine/wasm-threads.js';
import { setRingConvKernel, SmpcError, type ConvGeometry } from '../smpc/index.js';

/** Installs the native ring convolution when the add-on has it; returns one line saying which kernel runs. */
export function useNativeRingKernel(threads: number = defaultThreadCount()): string {
  const choice = chooseEngine(threads);
  const addon = nativeKernels();
  const ringConv = addon?.ringConv?.bind(addon);
  if (!addon || !ringConv) {
    setRingConvKernel(null);
    return `ring kernel: wasm (${choice.reason ?? 'the native add-on predates ringConv: run `node scripts/build-native.mjs --force`'})`;
  }
  setRingConvKernel((x: BigUint64Array, w: BigUint64Array, g: ConvGeometry, out: BigUint64Array) => {
    const r = ringConv(x, w, out, g.inH, g.inW, g.inC, g.kh, g.kw, g.outC, g.outH, g.outW, g.stride, g.stride, g.padTop, g.padLeft);
    if (r !== 0) throw new SmpcError('shape', `native ring convolution refused ${g.inH}x${g.inW}x${g.inC} -> ${g.outC} (out of memory?)`);
  });
  return `ring kernel: native ${addon.ringIsa?.() ?? choice.isa}, ${choice.threads} thread${choice.threads === 1 ? '' : 's'}`;
}
