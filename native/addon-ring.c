/* Node-API entry points of the ring kernels (native/ring.c): BigUint64Arrays passed directly, sizes checked. */
#include <node_api.h>
#include <stdint.h>
#include "privmed.h"
#include "addon-call.h"

/* ringConv(x, w, y, H, W, CI, KH, KW, CO, OH, OW, sy, sx, pt, pl) -> 0 | -1 (batch 1; y is overwritten) */
napi_value js_ring_conv(napi_env env, napi_callback_info info) {
  call_t c = {.env = env};
  if (!get_args(&c, info, 15)) return NULL;
  pm_conv cv = {.N = 1};
  int *f[] = {&cv.H, &cv.W, &cv.CI, &cv.KH, &cv.KW, &cv.CO, &cv.OH, &cv.OW, &cv.sy, &cv.sx, &cv.pt, &cv.pl};
  for (size_t k = 0; k < sizeof f / sizeof f[0]; k++) *f[k] = dim_arg(&c, 3 + k);
  if (c.failed) return NULL;
  if (cv.sy < 1 || cv.sx < 1 || cv.KH < 1 || cv.KW < 1 || cv.CI < 1 || cv.CO < 1) {
    fail(&c, "privmed native: bad ring convolution geometry");
    return NULL;
  }
  size_t nx, nw, ny;
  const uint64_t *x = typed_arg(&c, c.argv[0], napi_biguint64_array, &nx);
  const uint64_t *w = typed_arg(&c, c.argv[1], napi_biguint64_array, &nw);
  uint64_t *y = typed_arg(&c, c.argv[2], napi_biguint64_array, &ny);
  if (c.failed) return NULL;
  if ((int64_t)nx != (int64_t)cv.H * cv.W * cv.CI || (int64_t)nw != (int64_t)cv.KH * cv.KW * cv.CI * cv.CO ||
      (int64_t)ny != (int64_t)cv.OH * cv.OW * cv.CO) {
    fail(&c, "privmed native: ring convolution arrays do not match the geometry");
    return NULL;
  }
  return int_value(env, pm_ring_conv(&cv, x, w, y));
}

/* ringIsa() -> the instruction set ringConv uses under the current pin: avx512 | avx2 | scalar */
napi_value js_ring_isa(napi_env env, napi_callback_info info) {
  (void)info;
  return string_value(env, pm_ring_isa());
}
