/* Node-API entry points of the training kernels: normalisation, activations, fills, Adam, pooling gradients, DP clipping. */
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "privmed.h"
#include "addon-call.h"

static int norm_dims(call_t *c, size_t i, int *N, int64_t *S, int *C, int *G) {
  *N = dim_arg(c, i);
  *S = int_arg(c, i + 1);
  *C = dim_arg(c, i + 2);
  *G = dim_arg(c, i + 3);
  if (c->failed) return 0;
  if (*N < 1 || *S < 1 || *C < 1 || *G < 1 || *C % *G != 0) fail(c, "privmed native: bad normalisation geometry");
  return !c->failed;
}

/* norm(heap, x, gamma, beta, y, mean, variance, N, S, C, G, eps) */
napi_value js_norm(napi_env env, napi_callback_info info) {
  call_t c = {.env = env};
  int N, C, G;
  int64_t S;
  if (!get_args(&c, info, 12)) return NULL;
  heap_arg(&c, 0);
  if (c.failed || !norm_dims(&c, 7, &N, &S, &C, &G)) return NULL;
  const int64_t n = (int64_t)N * S * C;
  const float *x = tensor_arg(&c, 1, n, 0), *gamma = tensor_arg(&c, 2, C, 0), *beta = tensor_arg(&c, 3, C, 0);
  float *y = tensor_arg(&c, 4, n, 0), *mean = tensor_arg(&c, 5, (int64_t)N * G, 0), *var = tensor_arg(&c, 6, (int64_t)N * G, 0);
  const double eps = double_arg(&c, 11);
  if (c.failed) return NULL;
  return int_value(env, pm_norm_forward(x, gamma, beta, y, mean, var, N, (long)S, C, G, (float)eps));
}

/* normGrad(heap, dy, x, mean, variance, gamma, dx, dgamma, dbeta, N, S, C, G, eps) */
napi_value js_norm_grad(napi_env env, napi_callback_info info) {
  call_t c = {.env = env};
  int N, C, G;
  int64_t S;
  if (!get_args(&c, info, 14)) return NULL;
  heap_arg(&c, 0);
  if (c.failed || !norm_dims(&c, 9, &N, &S, &C, &G)) return NULL;
  const int64_t n = (int64_t)N * S * C;
  const float *dy = tensor_arg(&c, 1, n, 0), *x = tensor_arg(&c, 2, n, 0);
  const float *mean = tensor_arg(&c, 3, (int64_t)N * G, 0), *var = tensor_arg(&c, 4, (int64_t)N * G, 0), *gamma = tensor_arg(&c, 5, C, 0);
  float *dx = tensor_arg(&c, 6, n, 0), *dgamma = tensor_arg(&c, 7, C, 0), *dbeta = tensor_arg(&c, 8, C, 0);
  const double eps = double_arg(&c, 13);
  if (c.failed) return NULL;
  return int_value(env, pm_norm_backward(dy, x, mean, var, gamma, dx, dgamma, dbeta, N, (long)S, C, G, (float)eps));
}

/* normParamGrads(heap, dy, x, mean, variance, dgamma, dbeta, N, S, C, G, eps): dgamma, dbeta [N, C] */
napi_value js_norm_param_grads(napi_env env, napi_callback_info info) {
  call_t c = {.env = env};
  int N, C, G;
  int64_t S;
  if (!get_args(&c, info, 12)) return NULL;
  heap_arg(&c, 0);
  if (c.failed || !norm_dims(&c, 7, &N, &S, &C, &G)) return NULL;
  const int64_t n = (int64_t)N * S * C;
  const float *dy = tensor_arg(&c, 1, n, 0), *x = tensor_arg(&c, 2, n, 0);
  const float *mean = tensor_arg(&c, 3, (int64_t)N * G, 0), *var = tensor_arg(&c, 4, (int64_t)N * G, 0);
  float *dgamma = tensor_arg(&c, 5, (int64_t)N * C, 0), *dbeta = tensor_arg(&c, 6, (int64_t)N * C, 0);
  const double eps = double_arg(&c, 11);
  if (c.failed) return NULL;
  return int_value(env, pm_norm_param_grads(dy, x, mean, var, dgamma, dbeta, N, (long)S, C, G, (float)eps));
}

/* reluGrad(heap, dy, x, dx, n) */
napi_value js_relu_grad(napi_env env, napi_callback_info info) {
  call_t c = {.env = env};
  if (!get_args(&c, info, 5)) return NULL;
  heap_arg(&c, 0);
  const int64_t n = int_arg(&c, 4);
  if (c.failed) return NULL;
  const float *dy = tensor_arg(&c, 1, n, 0), *x = tensor_arg(&c, 2, n, 0);
  float *dx = tensor_arg(&c, 3, n, 0);
  if (c.failed) return NULL;
  return int_value(env, pm_relu_grad(dy, x, dx, (long)n));
}

/* relu(heap, x, y, n) */
napi_value js_relu(napi_env env, napi_callback_info info) {
  call_t c = {.env = env};
  if (!get_args(&c, info, 4)) return NULL;
  heap_arg(&c, 0);
  const int64_t n = int_arg(&c, 3);
  if (c.failed) return NULL;
  const float *x = tensor_arg(&c, 1, n, 0);
  float *y = tensor_arg(&c, 2, n, 0);
  if (c.failed) return NULL;
  return int_value(env, pm_relu(x, y, (long)n));
}

/* fill32(heap, y, bits, n): n 32-bit words of the pattern bits (0 .. 2^32 - 1) */
napi_value js_fill32(napi_env env, napi_callback_info info) {
  call_t c = {.env = env};
  if (!get_args(&c, info, 4)) return NULL;
  heap_arg(&c, 0);
  const int64_t bits = int_arg(&c, 2), n = int_arg(&c, 3);
  if (c.failed) return NULL;
  if (bits < 0 || bits > 0xffffffffLL) {
    fail(&c, "privmed native: fill pattern out of range");
    return NULL;
  }
  float *y = tensor_arg(&c, 1, n, 0);
  if (c.failed) return NULL;
  return int_value(env, pm_fill32((unsigned int *)y, (unsigned int)bits, (long)n));
}

/* adam(heap, w, g, m, v, w2, m2, v2, n, beta1, beta2, lr, eps, c1, c2) */
napi_value js_adam(napi_env env, napi_callback_info info) {
  call_t c = {.env = env};
  if (!get_args(&c, info, 15)) return NULL;
  heap_arg(&c, 0);
  const int64_t n = int_arg(&c, 8);
  if (c.failed) return NULL;
  const float *w = tensor_arg(&c, 1, n, 0), *g = tensor_arg(&c, 2, n, 0), *m = tensor_arg(&c, 3, n, 0), *v = tensor_arg(&c, 4, n, 0);
  float *w2 = tensor_arg(&c, 5, n, 0), *m2 = tensor_arg(&c, 6, n, 0), *v2 = tensor_arg(&c, 7, n, 0);
  double k[6];
  for (int i = 0; i < 6; i++) k[i] = double_arg(&c, 9 + i);
  if (c.failed) return NULL;
  return int_value(env, pm_adam(w, g, m, v, w2, m2, v2, (long)n, k[0], k[1], k[2], k[3], k[4], k[5]));
}

/* batchNorm(heap, x, mean, variance, scale|-1, offset|-1, y, n, C, eps) */
napi_value js_batch_norm(napi_env env, napi_callback_info info) {
  call_t c = {.env = env};
  if (!get_args(&c, info, 10)) return NULL;
  heap_arg(&c, 0);
  const int64_t n = int_arg(&c, 7);
  const int C = dim_arg(&c, 8);
  const double eps = double_arg(&c, 9);
  if (c.failed) return NULL;
  const float *x = tensor_arg(&c, 1, n, 0), *mean = tensor_arg(&c, 2, C, 0), *var = tensor_arg(&c, 3, C, 0);
  const float *scale = tensor_arg(&c, 4, C, 1), *offset = tensor_arg(&c, 5, C, 1);
  float *y = tensor_arg(&c, 6, n, 0);
  if (c.failed) return NULL;
  return int_value(env, pm_batch_norm_infer(x, mean, var, scale, offset, (float)eps, y, (long)n, C));
}

/* maxPoolGrad(heap, x, dy, dx, N, H, W, C, OH, OW, fh, fw, sy, sx, pt, pl) */
napi_value js_max_pool_grad(napi_env env, napi_callback_info info) {
  call_t c = {.env = env};
  if (!get_args(&c, info, 16)) return NULL;
  heap_arg(&c, 0);
  int d[12];
  for (int k = 0; k < 12; k++) d[k] = dim_arg(&c, 4 + k);
  if (c.failed) return NULL;
  if (d[8] < 1 || d[9] < 1 || d[6] < 1 || d[7] < 1) {
    fail(&c, "privmed native: bad pooling geometry");
    return NULL;
  }
  const float *x = tensor_arg(&c, 1, (int64_t)d[0] * d[1] * d[2] * d[3], 0);
  const float *dy = tensor_arg(&c, 2, (int64_t)d[0] * d[4] * d[5] * d[3], 0);
  float *dx = tensor_arg(&c, 3, (int64_t)d[0] * d[1] * d[2] * d[3], 0);
  if (c.failed) return NULL;
  return int_value(env, pm_max_pool_grad(x, dy, dx, d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11]));
}

/* clipSum(rows: (Float32Array | [a: Float32Array, d: Float32Array])[], group: Int32Array, bounds: Float64Array, B, sums: Float64Array[], kept: Uint8Array) */
napi_value js_clip_sum(napi_env env, napi_callback_info info) {
  call_t c = {.env = env};
  if (!get_args(&c, info, 6)) return NULL;
  uint32_t V = 0, V2 = 0;
  if (napi_get_array_length(env, c.argv[0], &V) != napi_ok || napi_get_array_length(env, c.argv[4], &V2) != napi_ok || V != V2 || V == 0) {
    fail(&c, "privmed native: clipSum: rows and sums must be arrays of one length");
    return NULL;
  }
  size_t nGroup, G, nKept;
  const int *group = typed_arg(&c, c.argv[1], napi_int32_array, &nGroup);
  const double *bounds = typed_arg(&c, c.argv[2], napi_float64_array, &G);
  const int B = dim_arg(&c, 3);
  unsigned char *kept = typed_arg(&c, c.argv[5], napi_uint8_array, &nKept);
  if (c.failed) return NULL;
  if (nGroup != V || nKept < (size_t)B || G == 0) {
    fail(&c, "privmed native: clipSum: group, bounds or kept of the wrong length");
    return NULL;
  }
  const float **rows = malloc(sizeof(float *) * V), **outer_d = malloc(sizeof(float *) * V);
  double **sums = malloc(sizeof(double *) * V);
  long *sizes = malloc(sizeof(long) * V), *outer_n = malloc(sizeof(long) * V);
  int rc = -1;
  if (rows && outer_d && sums && sizes && outer_n) {
    for (uint32_t v = 0; v < V && !c.failed; v++) {
      napi_value r, s;
      size_t nr, ns;
      bool pair = false;
      napi_get_element(env, c.argv[0], v, &r);
      napi_get_element(env, c.argv[4], v, &s);
      napi_is_array(env, r, &pair);
      sums[v] = typed_arg(&c, s, napi_float64_array, &ns);
      sizes[v] = (long)ns;
      outer_d[v] = NULL, outer_n[v] = 0;
      if (pair) { /* factors a [B, n] and d [B, u] with n * u = size */
        napi_value a, d;
        uint32_t len = 0;
        size_t na = 0, nd = 0;
        napi_get_array_length(env, r, &len);
        if (len != 2) fail(&c, "privmed native: clipSum: a factored variable must be [a, d]");
        if (c.failed) break;
        napi_get_element(env, r, 0, &a);
        napi_get_element(env, r, 1, &d);
        rows[v] = typed_arg(&c, a, napi_float32_array, &na);
        outer_d[v] = typed_arg(&c, d, napi_float32_array, &nd);
        if (c.failed) break;
        const size_t n = B > 0 ? na / (size_t)B : 0, u = B > 0 ? nd / (size_t)B : 0;
        if (B < 1 || n < 1 || na != n * (size_t)B || nd != u * (size_t)B || n * u != ns)
          fail(&c, "privmed native: clipSum: factors [a, d] must be batch x n and batch x u with n x u = the variable's size");
        outer_n[v] = (long)n;
      } else {
        rows[v] = typed_arg(&c, r, napi_float32_array, &nr);
        if (!c.failed && nr < ns * (size_t)B) fail(&c, "privmed native: clipSum: a row array is shorter than batch x size");
      }
    }
    if (!c.failed) rc = pm_clip_sum(rows, outer_d, outer_n, sizes, group, bounds, (int)V, (int)G, B, sums, kept);
  }
  free(rows), free(outer_d), free(sums), free(sizes), free(outer_n);
  if (c.failed) return NULL;
  return int_value(env, rc);
}
