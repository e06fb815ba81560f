/* Node-API entry points of the DP noise sampler (noise.c, noise-ahead.c) and the grid release (clip.c). */
#include <node_api.h>
#include <stdint.h>
#include "privmed.h"
#include "addon-call.h"

/* The 32-byte key argument as eight little-endian words (RFC 8439's key layout). */
static int key_arg(call_t *c, size_t i, uint32_t key[8]) {
  size_t n;
  const uint8_t *k = typed_arg(c, c->argv[i], napi_uint8_array, &n);
  if (c->failed) return 0;
  if (n != 32) {
    fail(c, "privmed native: noise: the key must be 32 bytes");
    return 0;
  }
  for (int w = 0; w < 8; w++) key[w] = k[4 * w] | (uint32_t)k[4 * w + 1] << 8 | (uint32_t)k[4 * w + 2] << 16 | (uint32_t)k[4 * w + 3] << 24;
  return 1;
}

/* discreteGaussian(key: Uint8Array(32), log2Scale, out: Float64Array) */
napi_value js_discrete_gaussian(napi_env env, napi_callback_info info) {
  call_t c = {.env = env};
  uint32_t key[8];
  if (!get_args(&c, info, 3) || !key_arg(&c, 0, key)) return NULL;
  const int m = dim_arg(&c, 1);
  size_t n;
  double *out = typed_arg(&c, c.argv[2], napi_float64_array, &n);
  if (c.failed) return NULL;
  return int_value(env, pm_discrete_gaussian(key, m, out, (long)n));
}

/* chachaWords(key: Uint8Array(32), chunk, out: Uint32Array): the keystream the noise of that chunk reads. */
napi_value js_chacha_words(napi_env env, napi_callback_info info) {
  call_t c = {.env = env};
  uint32_t key[8];
  if (!get_args(&c, info, 3) || !key_arg(&c, 0, key)) return NULL;
  const int chunk = dim_arg(&c, 1);
  size_t n;
  uint32_t *out = typed_arg(&c, c.argv[2], napi_uint32_array, &n);
  if (c.failed) return NULL;
  pm_chacha_words(key, (uint32_t)chunk, out, (long)n);
  return int_value(env, 0);
}

static void noise_finalize(napi_env env, void *data, void *hint) {
  (void)env, (void)hint;
  pm_noise_free(data);
}

/* noiseStart(key: Uint8Array(32), log2Scale, count) -> handle: the draw runs on a background thread. */
napi_value js_noise_start(napi_env env, napi_callback_info info) {
  call_t c = {.env = env};
  uint32_t key[8];
  if (!get_args(&c, info, 3) || !key_arg(&c, 0, key)) return NULL;
  const int m = dim_arg(&c, 1);
  const int64_t n = int_arg(&c, 2);
  if (c.failed) return NULL;
  pm_noise *j = pm_noise_start(key, m, (long)n);
  if (!j) {
    fail(&c, "privmed native: noiseStart: bad scale or count, or out of memory");
    return NULL;
  }
  napi_value handle;
  if (napi_create_external(env, j, noise_finalize, NULL, &handle) != napi_ok) {
    pm_noise_free(j);
    fail(&c, "privmed native: noiseStart: cannot create the handle");
    return NULL;
  }
  return handle;
}

/* noiseWait(handle, out: Float64Array) -> 0 | -1: finishes the draw and copies it into out (once). */
napi_value js_noise_wait(napi_env env, napi_callback_info info) {
  call_t c = {.env = env};
  if (!get_args(&c, info, 2)) return NULL;
  void *j = NULL;
  napi_valuetype t;
  napi_typeof(env, c.argv[0], &t);
  if (t != napi_external || napi_get_value_external(env, c.argv[0], &j) != napi_ok || !j) {
    fail(&c, "privmed native: noiseWait: expected a handle from noiseStart");
    return NULL;
  }
  size_t n;
  double *out = typed_arg(&c, c.argv[1], napi_float64_array, &n);
  if (c.failed) return NULL;
  return int_value(env, pm_noise_wait(j, out, (long)n));
}

/* gridRelease(f: Float64Array, noise: Float64Array, grid, divisor, out: Float32Array) -> -1 | first index out of range */
napi_value js_grid_release(napi_env env, napi_callback_info info) {
  call_t c = {.env = env};
  if (!get_args(&c, info, 5)) return NULL;
  size_t n, nn, no;
  const double *f = typed_arg(&c, c.argv[0], napi_float64_array, &n), *noise = typed_arg(&c, c.argv[1], napi_float64_array, &nn);
  float *out = typed_arg(&c, c.argv[4], napi_float32_array, &no);
  double grid = 0, divisor = 0;
  if (c.failed) return NULL;
  if (napi_get_value_double(env, c.argv[2], &grid) != napi_ok || napi_get_value_double(env, c.argv[3], &divisor) != napi_ok || !(grid > 0) || !(divisor > 0) ||
      nn != n || no != n || n > 0x7FFFFFFF) {
    fail(&c, "privmed native: gridRelease: grid and divisor must be numbers > 0, f, noise and out of one length");
    return NULL;
  }
  return int_value(env, (int)pm_grid_release(f, noise, (long)n, grid, divisor, out));
}
