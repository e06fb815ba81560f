/** Channel count conversion for HWC images: grey <-> RGB (BT.601 luma), alpha dropped. */
import { PrivmedError } from '../../common/errors.js';

export function convertChannels(src: Float32Array, pixels: number, from: number, to: number): Float32Array {
  if (from === to) return src;
  const out = new Float32Array(pixels * to);
  if (to === 1) {
    if (from < 3) for (let p = 0; p < pixels; p++) out[p] = src[p * from]!; // grey + alpha
    else for (let p = 0; p < pixels; p++) out[p] = 0.299 * src[p * from]! + 0.587 * src[p * from + 1]! + 0.114 * src[p * from + 2]!;
    return out;
  }
  if (to === 3) {
    for (let p = 0; p < pixels; p++) {
      for (let k = 0; k < 3; k++) out[p * 3 + k] = from >= 3 ? src[p * from + k]! : src[p * from]!;
    }
    return out;
  }
  throw new PrivmedError(`cannot convert ${from} channel(s) to ${to}`);
}
