/**
 * Adapters for the compiled (WebAssembly) codecs: CharLS (JPEG-LS), OpenJPEG
 * (JPEG 2000), OpenJPH (HTJ2K), libjpeg-turbo (8-bit JPEG), and the
 * JavaScript JPEG lossless decoder. Each module is loaded once, on first use;
 * their console output is silenced. All return interleaved integer samples.
 */
import { createRequire } from 'node:module';
import { planarToInterleaved } from './stored-values.js';

const require = createRequire(import.meta.url);

interface FrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned?: boolean;
}

interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  decode(): void;
  getFrameInfo(): FrameInfo;
  delete(): void;
  /** CharLS only: 0 means the decoded samples are planar (component by component). */
  getInterleaveMode?(): number;
}

type WasmModule = Record<string, new () => WasmDecoder>;
type Factory = (options: object) => Promise<WasmModule>;

export interface CodecOutput {
  width: number;
  height: number;
  components: number;
  bitsPerSample: number;
  values: Int32Array;
}

export class CodecError extends Error {}

const loaded = new Map<string, Promise<WasmModule>>();

function load(modulePath: string): Promise<WasmModule> {
  let p = loaded.get(modulePath);
  if (!p) {
    const factory = require(modulePath) as Factory;
    const quiet = () => {};
    p = factory({ print: quiet, printErr: quiet });
    loaded.set(modulePath, p);
  }
  return p;
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'number') return `native exception ${err}`; // emscripten C++ exceptions arrive as pointers
  return String(err);
}

function samples(buf: Uint8Array, info: FrameInfo): Int32Array {
  const n = info.width * info.height * info.componentCount;
  const out = new Int32Array(n);
  if (info.bitsPerSample <= 8) {
    if (buf.length < n) throw new CodecError(`decoder returned ${buf.length} bytes, expected ${n}`);
    for (let i = 0; i < n; i++) out[i] = info.isSigned ? (buf[i]! << 24) >> 24 : buf[i]!;
  } else {
    if (buf.length < 2 * n) throw new CodecError(`decoder returned ${buf.length} bytes, expected ${2 * n}`);
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    for (let i = 0; i < n; i++) out[i] = info.isSigned ? view.getInt16(2 * i, true) : view.getUint16(2 * i, true);
  }
  return out;
}

async function runWasm(modulePath: string, className: string, codecName: string, encoded: Uint8Array): Promise<CodecOutput> {
  const mod = await load(modulePath);
  const Decoder = mod[className];
  if (!Decoder) throw new CodecError(`${codecName} module has no ${className}`);
  const decoder = new Decoder();
  try {
    decoder.getEncodedBuffer(encoded.length).set(encoded);
    decoder.decode();
    const info = decoder.getFrameInfo();
    // copy out before delete(): the buffer lives in WASM memory
    let values = samples(decoder.getDecodedBuffer(), info);
    if (info.componentCount > 1 && decoder.getInterleaveMode?.() === 0) values = planarToInterleaved(values, info.width * info.height, info.componentCount);
    return { width: info.width, height: info.height, components: info.componentCount, bitsPerSample: info.bitsPerSample, values };
  } catch (err) {
    if (err instanceof CodecError) throw err;
    throw new CodecError(`${codecName} could not decode the frame: ${describe(err)}`);
  } finally {
    decoder.delete();
  }
}

export function decodeJpegLs(encoded: Uint8Array): Promise<CodecOutput> {
  return runWasm('@cornerstonejs/codec-charls/decodewasmjs', 'JpegLSDecoder', 'CharLS (JPEG-LS)', encoded);
}

export function decodeJpeg2000(encoded: Uint8Array): Promise<CodecOutput> {
  return runWasm('@cornerstonejs/codec-openjpeg/decodewasmjs', 'J2KDecoder', 'OpenJPEG (JPEG 2000)', encoded);
}

export function decodeHtj2k(encoded: Uint8Array): Promise<CodecOutput> {
  return runWasm('@cornerstonejs/codec-openjph/wasmjs', 'HTJ2KDecoder', 'OpenJPH (HTJ2K)', encoded);
}

/** 8-bit JPEG (baseline and progressive); 3-component output is RGB. */
export function decodeJpeg8(encoded: Uint8Array): Promise<CodecOutput> {
  return runWasm('@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs', 'JPEGDecoder', 'libjpeg-turbo (JPEG)', encoded);
}

interface LosslessDecoder {
  decompress(buffer: ArrayBuffer, offset: number, length: number): ArrayBuffer;
}

/** JPEG lossless (process 14), any predictor; precision and size come from the caller's SOF3 parse. */
export function decodeJpegLossless(encoded: Uint8Array, info: { width: number; height: number; components: number; precision: number }): CodecOutput {
  const { Decoder } = require('jpeg-lossless-decoder-js') as { Decoder: new () => LosslessDecoder };
  const copy = encoded.slice(); // the decoder wants a whole ArrayBuffer
  let buf: ArrayBuffer;
  try {
    buf = new Decoder().decompress(copy.buffer, 0, copy.length);
  } catch (err) {
    throw new CodecError(`JPEG lossless decoder failed: ${describe(err)}`);
  }
  const n = info.width * info.height * info.components;
  const bytesPer = info.precision > 8 ? 2 : 1;
  if (!buf || buf.byteLength < n * bytesPer) throw new CodecError(`JPEG lossless decoder returned ${buf?.byteLength ?? 0} bytes, expected ${n * bytesPer}`);
  const values = new Int32Array(n);
  if (bytesPer === 1) {
    const b = new Uint8Array(buf, 0, n);
    for (let i = 0; i < n; i++) values[i] = b[i]!;
  } else {
    const v = new DataView(buf);
    for (let i = 0; i < n; i++) values[i] = v.getUint16(2 * i, true);
  }
  return { width: info.width, height: info.height, components: info.components, bitsPerSample: info.precision, values };
}
