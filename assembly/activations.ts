// WebAssembly SIMD activation gradients on tfjs-backend-wasm's imported heap
// (arguments are byte offsets of its tensors).

/**
 * ReLU's gradient, dx = dy * step(x), in one pass instead of tfjs's three
 * (Step, Cast, Multiply). step is tfjs-backend-cpu's: 1 above 0, 0 at or
 * below it, NaN for NaN, so dy * step(x) matches it bit for bit.
 */
export function reluGrad(dy: usize, x: usize, dx: usize, size: i32): void {
  const one = f32x4.splat(1);
  const zero = f32x4.splat(0);
  const nan = f32x4.splat(NaN);
  const bytes = <usize>size << 2;
  const vectorEnd = <usize>(size & ~3) << 2;
  let k: usize = 0;
  for (; k < vectorEnd; k += 16) {
    const xv = v128.load(x + k);
    let step = v128.bitselect(one, zero, f32x4.gt(xv, zero));
    step = v128.bitselect(nan, step, f32x4.ne(xv, xv));
    v128.store(dx + k, f32x4.mul(v128.load(dy + k), step));
  }
  for (; k < bytes; k += 4) {
    const xs = load<f32>(x + k);
    const step: f32 = xs != xs ? NaN : xs > 0 ? 1 : 0;
    store<f32>(dx + k, load<f32>(dy + k) * step);
  }
}
