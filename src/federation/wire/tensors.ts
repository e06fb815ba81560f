/**
 * Named float32 tensors and their wire form: a manifest (names, shapes, total
 * size) plus one payload of little-endian float32 bytes, tensor after tensor.
 * This is the only place that converts between the two.
 */
import { endianness } from 'node:os';
import { PrivmedError } from '../../common/errors.js';
import type { TensorManifest__Output } from './messages.js';

export interface TensorSpec {
  name: string;
  shape: number[];
}

export interface NamedTensor extends TensorSpec {
  data: Float32Array;
}

const LITTLE_ENDIAN_HOST = endianness() === 'LE';

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function specsOf(tensors: readonly TensorSpec[]): TensorSpec[] {
  return tensors.map((t) => ({ name: t.name, shape: [...t.shape] }));
}

export function payloadBytes(specs: readonly TensorSpec[]): number {
  return specs.reduce((sum, s) => sum + 4 * elementCount(s.shape), 0);
}

export function describeShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/** Checks that names are unique and non-empty and shapes are valid; throws on the first problem. */
export function checkSpecs(specs: readonly TensorSpec[], what: string): void {
  const seen = new Set<string>();
  for (const s of specs) {
    if (!s.name) throw new PrivmedError(`${what}: a tensor has an empty name`);
    if (seen.has(s.name)) throw new PrivmedError(`${what}: tensor name '${s.name}' appears twice`);
    seen.add(s.name);
    for (const d of s.shape) {
      if (!Number.isSafeInteger(d) || d < 0) {
        throw new PrivmedError(`${what}: tensor '${s.name}' has invalid shape ${describeShape(s.shape)}`);
      }
    }
  }
}

/** Null when `actual` has exactly the names and shapes of `expected` (in order), else what differs. */
export function specMismatch(expected: readonly TensorSpec[], actual: readonly TensorSpec[]): string | null {
  if (expected.length !== actual.length) {
    return `expected ${expected.length} tensors, got ${actual.length}`;
  }
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const a = actual[i]!;
    if (e.name !== a.name) return `tensor ${i} is named '${a.name}', expected '${e.name}'`;
    if (e.shape.length !== a.shape.length || e.shape.some((d, j) => d !== a.shape[j])) {
      return `tensor '${e.name}' has shape ${describeShape(a.shape)}, expected ${describeShape(e.shape)}`;
    }
  }
  return null;
}

/** A complete manifest: what we send, in the same shape as what we receive. */
export function manifestOf(specs: readonly TensorSpec[]): TensorManifest__Output {
  return {
    tensors: specs.map((s) => ({ name: s.name, shape: [...s.shape] })),
    totalBytes: payloadBytes(specs),
  };
}

/** Checks a received manifest for consistency; returns its specs. */
export function specsFromManifest(manifest: TensorManifest__Output, what: string): TensorSpec[] {
  const specs = manifest.tensors.map((t) => ({ name: t.name, shape: t.shape.map(Number) }));
  checkSpecs(specs, what);
  const expected = payloadBytes(specs);
  if (Number(manifest.totalBytes) !== expected) {
    throw new PrivmedError(
      `${what}: manifest declares ${manifest.totalBytes} bytes but its tensors need ${expected}`,
    );
  }
  return specs;
}

/** Concatenates the tensors' values as little-endian float32. */
export function encodeTensors(tensors: readonly NamedTensor[]): Buffer {
  for (const t of tensors) {
    if (t.data.length !== elementCount(t.shape)) {
      throw new PrivmedError(
        `tensor '${t.name}' has ${t.data.length} values but shape ${describeShape(t.shape)} needs ${elementCount(t.shape)}`,
      );
    }
  }
  const out = Buffer.allocUnsafe(payloadBytes(tensors));
  let offset = 0;
  for (const t of tensors) {
    if (LITTLE_ENDIAN_HOST) {
      out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), offset);
      offset += t.data.byteLength;
    } else {
      for (const v of t.data) {
        out.writeFloatLE(v, offset);
        offset += 4;
      }
    }
  }
  return out;
}

/** Splits a payload back into tensors (fresh, aligned Float32Arrays). */
export function decodeTensors(specs: readonly TensorSpec[], payload: Uint8Array): NamedTensor[] {
  const needed = payloadBytes(specs);
  if (payload.byteLength !== needed) {
    throw new PrivmedError(`tensor payload has ${payload.byteLength} bytes, expected ${needed}`);
  }
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  let offset = 0;
  return specs.map((s) => {
    const n = elementCount(s.shape);
    const data = new Float32Array(n);
    if (LITTLE_ENDIAN_HOST) {
      new Uint8Array(data.buffer).set(payload.subarray(offset, offset + 4 * n));
    } else {
      for (let i = 0; i < n; i++) data[i] = view.getFloat32(offset + 4 * i, true);
    }
    offset += 4 * n;
    return { name: s.name, shape: [...s.shape], data };
  });
}

/** Pairs plain weight arrays with the names and shapes of a model. */
export function nameTensors(specs: readonly TensorSpec[], weights: readonly Float32Array[]): NamedTensor[] {
  if (specs.length !== weights.length) {
    throw new PrivmedError(`got ${weights.length} weight arrays for a model of ${specs.length} tensors`);
  }
  return specs.map((s, i) => ({ name: s.name, shape: [...s.shape], data: weights[i]! }));
}
