/*
 * Node-API entry points. Tensors are passed as byte offsets into the wasm
 * backend's heap (a Uint8Array over its memory): the kernels read and write
 * them in place. Every offset and size is checked against the heap first.
 */
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "privmed.h"

#define MAX_ARGS 24

typedef struct {
  napi_env env;
  napi_value argv[MAX_ARGS];
  size_t argc;
  uint8_t *heap;
  size_t heap_len;
  int failed;
} call_t;

static void fail(call_t *c, const char *msg) {
  if (!c->failed) napi_throw_error(c->env, "PRIVMED_NATIVE", msg);
  c->failed = 1;
}

static int get_args(call_t *c, napi_callback_info info, size_t want) {
  c->argc = MAX_ARGS;
  c->failed = 0;
  if (napi_get_cb_info(c->env, info, &c->argc, c->argv, NULL, NULL) != napi_ok || c->argc < want) {
    fail(c, "privmed native: wrong number of arguments");
    return 0;
  }
  return 1;
}

static int64_t int_arg(call_t *c, size_t i) {
  int64_t v = 0;
  if (napi_get_value_int64(c->env, c->argv[i], &v) != napi_ok) fail(c, "privmed native: expected an integer argument");
  return v;
}

static int dim_arg(call_t *c, size_t i) {
  int64_t v = int_arg(c, i);
  if (v < 0 || v > (1 << 30)) fail(c, "privmed native: dimension out of range");
  return (int)v;
}

static void heap_arg(call_t *c, size_t i) {
  napi_typedarray_type type;
  size_t length;
  void *data;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(c->env, c->argv[i], &type, &length, &data, &ab, &off) != napi_ok || type != napi_uint8_array) {
    fail(c, "privmed native: expected the wasm heap as a Uint8Array");
    return;
  }
  c->heap = data;
  c->heap_len = length;
}

/* The tensor at byte offset argv[i] holding n floats, or NULL for offset -1 when optional. */
static float *tensor_arg(call_t *c, size_t i, int64_t n, int optional) {
  int64_t off = int_arg(c, i);
  if (c->failed) return NULL;
  if (optional && off == -1) return NULL;
  if (off < 0 || (off & 3) != 0 || n < 0 || (uint64_t)off + (uint64_t)n * 4 > c->heap_len) {
    fail(c, "privmed native: tensor outside the wasm heap");
    return NULL;
  }
  return (float *)(c->heap + off);
}

static napi_value int_value(napi_env env, int v) {
  napi_value out;
  napi_create_int32(env, v, &out);
  return out;
}

static napi_value string_value(napi_env env, const char *s) {
  napi_value out;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &out);
  return out;
}

/* init(threads, isa?) -> { isa, best, threads } */
static napi_value js_init(napi_env env, napi_callback_info info) {
  call_t c = {.env = env};
  if (!get_args(&c, info, 1)) return NULL;
  int threads = dim_arg(&c, 0);
  if (c.failed) return NULL;
  const pm_isa *isa = pm_isa_best();
  if (c.argc > 1) {
    char name[16] = {0};
    size_t len;
    napi_valuetype t;
    napi_typeof(env, c.argv[1], &t);
    if (t == napi_string) {
      napi_get_value_string_utf8(env, c.argv[1], name, sizeof name, &len);
      const pm_isa *want = pm_isa_by_name(name);
      if (!want) {
        fail(&c, "privmed native: this CPU does not support the requested instruction set");
        return NULL;
      }
      isa = want;
    }
  }
  pm_cur = isa;
  int started = pm_pool_start(threads);
  napi_value out;
  napi_create_object(env, &out);
  napi_set_named_property(env, out, "isa", string_value(env, pm_cur->name));
  napi_set_named_property(env, out, "best", string_value(env, pm_isa_best()->name));
  napi_set_named_property(env, out, "threads", int_value(env, started));
  return out;
}

static int conv_args(call_t *c, size_t i, pm_conv *cv) {
  int *f[] = {&cv->N, &cv->H, &cv->W, &cv->CI, &cv->KH, &cv->KW, &cv->CO, &cv->OH, &cv->OW, &cv->sy, &cv->sx, &cv->pt, &cv->pl};
  for (size_t k = 0; k < sizeof f / sizeof f[0]; k++) *f[k] = dim_arg(c, i + k);
  if (c->failed) return 0;
  if (cv->sy < 1 || cv->sx < 1 || cv->KH < 1 || cv->KW < 1) fail(c, "privmed native: bad convolution geometry");
  return !c->failed;
}

#define X_SIZE(cv) ((int64_t)(cv).N * (cv).H * (cv).W * (cv).CI)
#define Y_SIZE(cv) ((int64_t)(cv).N * (cv).OH * (cv).OW * (cv).CO)
#define W_SIZE(cv) ((int64_t)(cv).KH * (cv).KW * (cv).CI * (cv).CO)

/* conv2d(heap, x, w, bias|-1, y, N, H, W, CI, KH, KW, CO, OH, OW, sy, sx, pt, pl, act) -> 0 | -1 */
static napi_value js_conv2d(napi_env env, napi_callback_info info) {
  call_t c = {.env = env};
  pm_conv cv;
  if (!get_args(&c, info, 19)) return NULL;
  heap_arg(&c, 0);
  if (c.failed || !conv_args(&c, 5, &cv)) return NULL;
  const float *x = tensor_arg(&c, 1, X_SIZE(cv), 0), *w = tensor_arg(&c, 2, W_SIZE(cv), 0);
  const float *bias = tensor_arg(&c, 3, cv.CO, 1);
  float *y = tensor_arg(&c, 4, Y_SIZE(cv), 0);
  int act = dim_arg(&c, 18);
  if (c.failed) return NULL;
  return int_value(env, pm_conv_forward(&cv, x, w, bias, act, y));
}

/* conv2dBackpropFilter(heap, x, dy, dw, N, H, W, CI, KH, KW, CO, OH, OW, sy, sx, pt, pl) */
static napi_value js_filter_grad(napi_env env, napi_callback_info info) {
  call_t c = {.env = env};
  pm_conv cv;
  if (!get_args(&c, info, 17)) return NULL;
  heap_arg(&c, 0);
  if (c.failed || !conv_args(&c, 4, &cv)) return NULL;
  const float *x = tensor_arg(&c, 1, X_SIZE(cv), 0), *dy = tensor_arg(&c, 2, Y_SIZE(cv), 0);
  float *dw = tensor_arg(&c, 3, W_SIZE(cv), 0);
  if (c.failed) return NULL;
  return int_value(env, pm_conv_filter_grad(&cv, x, dy, dw));
}

/* conv2dBackpropInput(heap, dy, w, dx, N, H, W, CI, KH, KW, CO, OH, OW, sy, sx, pt, pl) */
static napi_value js_input_grad(napi_env env, napi_callback_info info) {
  call_t c = {.env = env};
  pm_conv cv;
  if (!get_args(&c, info, 17)) return NULL;
  heap_arg(&c, 0);
  if (c.failed || !conv_args(&c, 4, &cv)) return NULL;
  const float *dy = tensor_arg(&c, 1, Y_SIZE(cv), 0), *w = tensor_arg(&c, 2, W_SIZE(cv), 0);
  float *dx = tensor_arg(&c, 3, X_SIZE(cv), 0);
  if (c.failed) return NULL;
  return int_value(env, pm_conv_input_grad(&cv, dy, w, dx));
}

/* matMul(heap, a, b, bias|-1, c, M, K, N, transposeA, transposeB, act) */
static napi_value js_matmul(napi_env env, napi_callback_info info) {
  call_t c = {.env = env};
  if (!get_args(&c, info, 11)) return NULL;
  heap_arg(&c, 0);
  int M = dim_arg(&c, 5), K = dim_arg(&c, 6), N = dim_arg(&c, 7);
  int ta = dim_arg(&c, 8), tb = dim_arg(&c, 9), act = dim_arg(&c, 10);
  if (c.failed) return NULL;
  const float *a = tensor_arg(&c, 1, (int64_t)M * K, 0), *b = tensor_arg(&c, 2, (int64_t)K * N, 0);
  const float *bias = tensor_arg(&c, 3, N, 1);
  float *out = tensor_arg(&c, 4, (int64_t)M * N, 0);
  if (c.failed) return NULL;
  return int_value(env, pm_matmul(a, b, out, bias, act, M, K, N, ta, tb));
}

/* binary(heap, op, a, na, b, nb, out, n) */
static napi_value js_binary(napi_env env, napi_callback_info info) {
  call_t c = {.env = env};
  if (!get_args(&c, info, 8)) return NULL;
  heap_arg(&c, 0);
  int op = dim_arg(&c, 1);
  int64_t na = int_arg(&c, 3), nb = int_arg(&c, 5), n = int_arg(&c, 7);
  if (c.failed) return NULL;
  const float *a = tensor_arg(&c, 2, na, 0), *b = tensor_arg(&c, 4, nb, 0);
  float *out = tensor_arg(&c, 6, n, 0);
  if (c.failed) return NULL;
  return int_value(env, pm_binary(op, a, (long)na, b, (long)nb, out, (long)n));
}

/* maxPool(heap, x, y, N, H, W, C, OH, OW, fh, fw, sy, sx, pt, pl) */
static napi_value js_max_pool(napi_env env, napi_callback_info info) {
  call_t c = {.env = env};
  if (!get_args(&c, info, 15)) return NULL;
  heap_arg(&c, 0);
  int d[12];
  for (int k = 0; k < 12; k++) d[k] = dim_arg(&c, 3 + k);
  if (c.failed) return NULL;
  if (d[8] < 1 || d[9] < 1 || d[6] < 1 || d[7] < 1) {
    fail(&c, "privmed native: bad pooling geometry");
    return NULL;
  }
  const float *x = tensor_arg(&c, 1, (int64_t)d[0] * d[1] * d[2] * d[3], 0);
  float *y = tensor_arg(&c, 2, (int64_t)d[0] * d[4] * d[5] * d[3], 0);
  if (c.failed) return NULL;
  return int_value(env, pm_max_pool(x, y, d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11]));
}

static double double_arg(call_t *c, size_t i) {
  double v = 0;
  if (napi_get_value_double(c->env, c->argv[i], &v) != napi_ok) fail(c, "privmed native: expected a number argument");
  return v;
}

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
static napi_value js_norm(napi_env env, napi_callback_info info) {
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
static napi_value js_norm_grad(napi_env env, napi_callback_info info) {
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
static napi_value js_norm_param_grads(napi_env env, napi_callback_info info) {
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
static napi_value js_relu_grad(napi_env env, napi_callback_info info) {
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
static napi_value js_relu(napi_env env, napi_callback_info info) {
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
static napi_value js_fill32(napi_env env, napi_callback_info info) {
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
static napi_value js_adam(napi_env env, napi_callback_info info) {
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
static napi_value js_batch_norm(napi_env env, napi_callback_info info) {
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
static napi_value js_max_pool_grad(napi_env env, napi_callback_info info) {
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

/* A typed array argument of the given type: its data and element count. */
static void *typed_arg(call_t *c, napi_value v, napi_typedarray_type want, size_t *length) {
  napi_typedarray_type type;
  void *data;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(c->env, v, &type, length, &data, &ab, &off) != napi_ok || type != want) {
    fail(c, "privmed native: clipSum: wrong typed array");
    return NULL;
  }
  return data;
}

/* clipSum(rows: Float32Array[], group: Int32Array, bounds: Float64Array, B, sums: Float64Array[], kept: Uint8Array) */
static napi_value js_clip_sum(napi_env env, napi_callback_info info) {
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
  const float **rows = malloc(sizeof(float *) * V);
  double **sums = malloc(sizeof(double *) * V);
  long *sizes = malloc(sizeof(long) * V);
  int rc = -1;
  if (rows && sums && sizes) {
    for (uint32_t v = 0; v < V && !c.failed; v++) {
      napi_value r, s;
      size_t nr, ns;
      napi_get_element(env, c.argv[0], v, &r);
      napi_get_element(env, c.argv[4], v, &s);
      rows[v] = typed_arg(&c, r, napi_float32_array, &nr);
      sums[v] = typed_arg(&c, s, napi_float64_array, &ns);
      if (!c.failed && nr < ns * (size_t)B) fail(&c, "privmed native: clipSum: a row array is shorter than batch x size");
      sizes[v] = (long)ns;
    }
    if (!c.failed) rc = pm_clip_sum(rows, sizes, group, bounds, (int)V, (int)G, B, sums, kept);
  }
  free(rows), free(sums), free(sizes);
  if (c.failed) return NULL;
  return int_value(env, rc);
}

static napi_value init_module(napi_env env, napi_value exports) {
  struct {
    const char *name;
    napi_callback fn;
  } fns[] = {{"init", js_init}, {"conv2d", js_conv2d}, {"conv2dBackpropFilter", js_filter_grad},
             {"conv2dBackpropInput", js_input_grad}, {"matMul", js_matmul}, {"binary", js_binary}, {"maxPool", js_max_pool},
             {"norm", js_norm}, {"normGrad", js_norm_grad}, {"relu", js_relu}, {"reluGrad", js_relu_grad}, {"adam", js_adam},
             {"batchNorm", js_batch_norm}, {"maxPoolGrad", js_max_pool_grad}, {"fill32", js_fill32}, {"clipSum", js_clip_sum}, {"normParamGrads", js_norm_param_grads}};
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value f;
    napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &f);
    napi_set_named_property(env, exports, fns[i].name, f);
  }
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init_module)
