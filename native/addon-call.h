/* What every Node-API entry point shares: the call's arguments, the wasm heap, checked argument readers. */
#ifndef PRIVMED_ADDON_CALL_H
#define PRIVMED_ADDON_CALL_H
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

#define MAX_ARGS 24

typedef struct {
  napi_env env;
  napi_value argv[MAX_ARGS];
  size_t argc;
  uint8_t *heap;
  size_t heap_len;
  int failed;
} call_t;

void fail(call_t *c, const char *msg);
int get_args(call_t *c, napi_callback_info info, size_t want);
int64_t int_arg(call_t *c, size_t i);
int dim_arg(call_t *c, size_t i);
void heap_arg(call_t *c, size_t i);
float *tensor_arg(call_t *c, size_t i, int64_t n, int optional);
napi_value int_value(napi_env env, int v);
napi_value string_value(napi_env env, const char *s);
double double_arg(call_t *c, size_t i);
void *typed_arg(call_t *c, napi_value v, napi_typedarray_type want, size_t *length);

/* Training kernels (addon-train.c) and DP noise (addon-noise.c). */
napi_value js_norm(napi_env env, napi_callback_info info);
napi_value js_norm_grad(napi_env env, napi_callback_info info);
napi_value js_norm_param_grads(napi_env env, napi_callback_info info);
napi_value js_relu_grad(napi_env env, napi_callback_info info);
napi_value js_relu(napi_env env, napi_callback_info info);
napi_value js_fill32(napi_env env, napi_callback_info info);
napi_value js_adam(napi_env env, napi_callback_info info);
napi_value js_batch_norm(napi_env env, napi_callback_info info);
napi_value js_max_pool_grad(napi_env env, napi_callback_info info);
napi_value js_clip_sum(napi_env env, napi_callback_info info);
napi_value js_discrete_gaussian(napi_env env, napi_callback_info info);
napi_value js_chacha_words(napi_env env, napi_callback_info info);
napi_value js_noise_start(napi_env env, napi_callback_info info);
napi_value js_noise_wait(napi_env env, napi_callback_info info);
napi_value js_grid_release(napi_env env, napi_callback_info info);
/* Ring Z_2^64 convolution for encrypted inference (addon-ring.c). */
napi_value js_ring_conv(napi_env env, napi_callback_info info);
napi_value js_ring_isa(napi_env env, napi_callback_info info);

#endif
