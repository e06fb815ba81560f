// WebAssembly SIMD kernels that run on tfjs-backend-wasm's own (imported)
// memory: arguments are byte offsets of tensors on that heap, so nothing is
// copied. Built by `npm run build` with AssemblyScript (see package.json).

/**
 * MaxPoolGrad for 2x2 windows, stride 2, no padding, every window inside the
 * image (2*oh <= h, 2*ow <= w). Ties and NaN as tfjs-backend-cpu: the first
 * strictly greater value in row-major window order wins, starting from
 * -Infinity. dx must be zeroed by the caller where no window covers it.
 */
export function maxPoolGrad2x2(x: usize, dy: usize, dx: usize, n: i32, h: i32, w: i32, c: i32, oh: i32, ow: i32): void {
  const pixel = <usize>c << 2;
  const row = <usize>(w * c) << 2;
  const vectorEnd = <usize>(c & ~3) << 2;
  const negInf = f32x4.splat(-Infinity);
  let g = dy;
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < oh; i++) {
      const line = <usize>((b * h + 2 * i) * w * c) << 2;
      for (let j = 0; j < ow; j++) {
        const p0 = line + <usize>(2 * j) * pixel;
        const xs = x + p0;
        const ds = dx + p0;
        let k: usize = 0;
        for (; k < vectorEnd; k += 16) {
          const a0 = v128.load(xs + k);
          const a1 = v128.load(xs + pixel + k);
          const a2 = v128.load(xs + row + k);
          const a3 = v128.load(xs + row + pixel + k);
          const s0 = f32x4.gt(a0, negInf);
          let m = v128.bitselect(a0, negInf, s0);
          const s1 = f32x4.gt(a1, m);
          m = v128.bitselect(a1, m, s1);
          const s2 = f32x4.gt(a2, m);
          m = v128.bitselect(a2, m, s2);
          const s3 = f32x4.gt(a3, m);
          // The last window position that raised the running max is the winner.
          const w2 = v128.andnot(s2, s3);
          const w1 = v128.andnot(v128.andnot(s1, s2), s3);
          const w0 = v128.andnot(v128.andnot(v128.andnot(s0, s1), s2), s3);
          const gv = v128.load(g + k);
          v128.store(ds + k, v128.and(gv, w0));
          v128.store(ds + pixel + k, v128.and(gv, w1));
          v128.store(ds + row + k, v128.and(gv, w2));
          v128.store(ds + row + pixel + k, v128.and(gv, s3));
        }
        for (; k < pixel; k += 4) {
          const a0 = load<f32>(xs + k);
          const a1 = load<f32>(xs + pixel + k);
          const a2 = load<f32>(xs + row + k);
          const a3 = load<f32>(xs + row + pixel + k);
          let max: f32 = -Infinity;
          let at = -1;
          if (a0 > max) { max = a0; at = 0; }
          if (a1 > max) { max = a1; at = 1; }
          if (a2 > max) { max = a2; at = 2; }
          if (a3 > max) at = 3;
          const gs = load<f32>(g + k);
          store<f32>(ds + k, at == 0 ? gs : 0);
          store<f32>(ds + pixel + k, at == 1 ? gs : 0);
          store<f32>(ds + row + k, at == 2 ? gs : 0);
          store<f32>(ds + row + pixel + k, at == 3 ? gs : 0);
        }
        g += pixel;
      }
    }
  }
}

/**
 * MaxPoolGrad for any window, stride and padding, four channels at a time
 * (c a multiple of 4). dx must be zeroed by the caller: overlapping windows
 * add their gradient to whichever pixel won, as tfjs-backend-cpu does.
 */
export function maxPoolGradAny(
  x: usize, dy: usize, dx: usize, n: i32, h: i32, w: i32, c: i32, oh: i32, ow: i32,
  fh: i32, fw: i32, sh: i32, sw: i32, top: i32, left: i32,
): void {
  const pixel = <usize>c << 2;
  const negInf = f32x4.splat(-Infinity);
  let g = dy;
  for (let b = 0; b < n; b++) {
    const image = <usize>(b * h * w) * pixel;
    for (let i = 0; i < oh; i++) {
      const r0 = i * sh - top;
      const rLo = max(0, r0);
      const rHi = min(h, r0 + fh);
      for (let j = 0; j < ow; j++) {
        const c0 = j * sw - left;
        const cLo = max(0, c0);
        const cHi = min(w, c0 + fw);
        if (rLo < rHi && cLo < cHi) {
          for (let k: usize = 0; k < pixel; k += 16) {
            // Running max and the byte offset of its pixel, per lane; -1 (all ones) = none yet.
            let best = negInf;
            let where = i32x4.splat(-1);
            for (let r = rLo; r < rHi; r++) {
              for (let col = cLo; col < cHi; col++) {
                const at = image + <usize>(r * w + col) * pixel + k;
                const v = v128.load(x + at);
                const raise = f32x4.gt(v, best);
                best = v128.bitselect(v, best, raise);
                where = v128.bitselect(i32x4.splat(<i32>at), where, raise);
              }
            }
            const gv = v128.load(g + k);
            // A lane whose window held no number (only NaN / -Infinity) passes nothing.
            addLane(dx, i32x4.extract_lane(where, 0), 0, f32x4.extract_lane(gv, 0));
            addLane(dx, i32x4.extract_lane(where, 1), 4, f32x4.extract_lane(gv, 1));
            addLane(dx, i32x4.extract_lane(where, 2), 8, f32x4.extract_lane(gv, 2));
            addLane(dx, i32x4.extract_lane(where, 3), 12, f32x4.extract_lane(gv, 3));
          }
        }
        g += pixel;
      }
    }
  }
}

@inline
function addLane(dx: usize, at: i32, lane: usize, g: f32): void {
  if (at == -1) return;
  const p = dx + <usize>(<u32>at) + lane;
  store<f32>(p, load<f32>(p) + g);
}
