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
#include "addon-call.h"

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

/* conv2dBackpropFilterPerSample(heap, x, dy, dw, N, H, W, CI, KH, KW, CO, OH, OW, sy, sx, pt, pl): dw [N, KH, KW, CI, CO] */
static napi_value js_filter_grad_per_sample(napi_env env, napi_callback_info info) {
  call_t c = {.env = env};
  pm_conv cv;
  if (!get_args(&c, info, 17)) return NULL;
  heap_arg(&c, 0);
  if (c.failed || !conv_args(&c, 4, &cv)) return NULL;
  const float *x = tensor_arg(&c, 1, X_SIZE(cv), 0), *dy = tensor_arg(&c, 2, Y_SIZE(cv), 0);
  float *dw = tensor_arg(&c, 3, (int64_t)cv.N * W_SIZE(cv), 0);
  if (c.failed) return NULL;
  return int_value(env, pm_conv_filter_grad_per_sample(&cv, x, dy, dw));
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

static napi_value init_module(napi_env env, napi_value exports) {
  struct {
    const char *name;
    napi_callback fn;
  } fns[] = {{"init", js_init}, {"conv2d", js_conv2d}, {"conv2dBackpropFilter", js_filter_grad},
             {"conv2dBackpropFilterPerSample", js_filter_grad_per_sample},
             {"conv2dBackpropInput", js_input_grad}, {"matMul", js_matmul}, {"binary", js_binary}, {"maxPool", js_max_pool},
             {"norm", js_norm}, {"normGrad", js_norm_grad}, {"relu", js_relu}, {"reluGrad", js_relu_grad}, {"adam", js_adam},
             {"batchNorm", js_batch_norm}, {"maxPoolGrad", js_max_pool_grad}, {"fill32", js_fill32}, {"clipSum", js_clip_sum}, {"normParamGrads", js_norm_param_grads},
             {"discreteGaussian", js_discrete_gaussian}, {"chachaWords", js_chacha_words},
             {"noiseStart", js_noise_start}, {"noiseWait", js_noise_wait}, {"gridRelease", js_grid_release}, {"ringConv", js_ring_conv}, {"ringIsa", js_ring_isa}};
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value f;
    napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &f);
    napi_set_named_property(env, exports, fns[i].name, f);
  }
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init_module)
