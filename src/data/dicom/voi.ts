/**
 * Grey-level transforms (PS3.3 C.11): the modality rescale, the VOI window
 * (LINEAR, LINEAR_EXACT and SIGMOID functions), and MONOCHROME1 inversion so
 * that every image comes out "higher value = brighter".
 */
export interface Window {
  center: number;
  width: number;
}

export type VoiFunction = 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID';

/** Maps values in place to [0, 1] through the window. */
export function applyWindow(data: Float32Array, w: Window, fn: VoiFunction = 'LINEAR'): void {
  const c = w.center;
  if (fn === 'SIGMOID') {
    for (let i = 0; i < data.length; i++) data[i] = 1 / (1 + Math.exp((-4 * (data[i]! - c)) / w.width));
    return;
  }
  if (fn === 'LINEAR_EXACT') {
    const lo = c - w.width / 2;
    for (let i = 0; i < data.length; i++) data[i] = Math.min(1, Math.max(0, (data[i]! - lo) / w.width));
    return;
  }
  // LINEAR (C.11.2.1.2.1): width 1 is a threshold at the centre
  const width = Math.max(1, w.width);
  const lo = c - 0.5 - (width - 1) / 2;
  const hi = c - 0.5 + (width - 1) / 2;
  for (let i = 0; i < data.length; i++) {
    const x = data[i]!;
    data[i] = x <= lo ? 0 : x > hi ? 1 : width === 1 ? 1 : (x - (c - 0.5)) / (width - 1) + 0.5;
  }
}

/** The range of modality values a stored-value range maps to (slope may be negative). */
export function modalityRange(bitsStored: number, signed: boolean, slope: number, intercept: number): [number, number] {
  const lo = signed ? -(2 ** (bitsStored - 1)) : 0;
  const hi = signed ? 2 ** (bitsStored - 1) - 1 : 2 ** bitsStored - 1;
  const a = lo * slope + intercept;
  const b = hi * slope + intercept;
  return [Math.min(a, b), Math.max(a, b)];
}

/** value -> lo + hi - value: the same range, reversed. */
export function invertInRange(data: Float32Array, lo: number, hi: number): void {
  const s = lo + hi;
  for (let i = 0; i < data.length; i++) data[i] = s - data[i]!;
}
