/* Checked readers of a Node-API call's arguments: every offset and size is checked against the wasm heap. */
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "addon-call.h"

void fail(call_t *c, const char *msg) {
  if (!c->failed) napi_throw_error(c->env, "PRIVMED_NATIVE", msg);
  c->failed = 1;
}

int get_args(call_t *c, napi_callback_info info, size_t want) {
  c->argc = MAX_ARGS;
  c->failed = 0;
  if (napi_get_cb_info(c->env, info, &c->argc, c->argv, NULL, NULL) != napi_ok || c->argc < want) {
    fail(c, "privmed native: wrong number of arguments");
    return 0;
  }
  return 1;
}

int64_t int_arg(call_t *c, size_t i) {
  int64_t v = 0;
  if (napi_get_value_int64(c->env, c->argv[i], &v) != napi_ok) fail(c, "privmed native: expected an integer argument");
  return v;
}

int dim_arg(call_t *c, size_t i) {
  int64_t v = int_arg(c, i);
  if (v < 0 || v > (1 << 30)) fail(c, "privmed native: dimension out of range");
  return (int)v;
}

void heap_arg(call_t *c, size_t i) {
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
float *tensor_arg(call_t *c, size_t i, int64_t n, int optional) {
  int64_t off = int_arg(c, i);
  if (c->failed) return NULL;
  if (optional && off == -1) return NULL;
  if (off < 0 || (off & 3) != 0 || n < 0 || (uint64_t)off + (uint64_t)n * 4 > c->heap_len) {
    fail(c, "privmed native: tensor outside the wasm heap");
    return NULL;
  }
  return (float *)(c->heap + off);
}

napi_value int_value(napi_env env, int v) {
  napi_value out;
  napi_create_int32(env, v, &out);
  return out;
}

napi_value string_value(napi_env env, const char *s) {
  napi_value out;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &out);
  return out;
}

double double_arg(call_t *c, size_t i) {
  double v = 0;
  if (napi_get_value_double(c->env, c->argv[i], &v) != napi_ok) fail(c, "privmed native: expected a number argument");
  return v;
}

/* A typed array argument of the given type: its data and element count. */
void *typed_arg(call_t *c, napi_value v, napi_typedarray_type want, size_t *length) {
  napi_typedarray_type type;
  void *data;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(c->env, v, &type, length, &data, &ab, &off) != napi_ok || type != want) {
    fail(c, "privmed native: wrong typed array argument");
    return NULL;
  }
  return data;
}
