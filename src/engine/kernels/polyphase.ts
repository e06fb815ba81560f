/**
 * The polyphase split of a strided transposed convolution along one axis.
 *
 * With stride s, input rows i = r + s*u (one "phase" r per residue mod s) only
 * receive filter taps kh = k0 + s*m with k0 = (r + pad) mod s. Each phase is
 * therefore a stride-1 correlation of dy with a sub-filter of `taps` taps,
 * flipped, so the total work is exactly that of the forward conv: no zeros are
 * inserted into dy and nothing is computed twice.
 */
export interface Phase {
  /** First input row of this phase (r). */
  start: number;
  /** Rows of this phase: r, r+s, r+2s, ... below `inSize`. */
  count: number;
  /** First filter tap used (k0). */
  firstTap: number;
  /** Number of filter taps used: k0, k0+s, ... below `filterSize`. May be 0. */
  taps: number;
  /** Padding of dy for the stride-1 correlation; may be negative (= crop). */
  padBefore: number;
  padAfter: number;
}

export function phasesAlongAxis(inSize: number, filterSize: number, stride: number, padBefore: number, outSize: number): Phase[] {
  const phases: Phase[] = [];
  for (let r = 0; r < stride && r < inSize; r++) {
    const count = Math.ceil((inSize - r) / stride);
    const firstTap = (r + padBefore) % stride;
    const taps = firstTap < filterSize ? Math.ceil((filterSize - firstTap) / stride) : 0;
    // dy row for (u, m) is q + u - m: q is the dy row that meets tap k0 at u = 0.
    const q = (r + padBefore - firstTap) / stride;
    phases.push({ start: r, count, firstTap, taps, padBefore: taps - 1 - q, padAfter: count + q - outSize });
  }
  return phases;
}
