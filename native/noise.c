/*
 * The exact discrete Gaussian of scale 2^m (Canonne, Kamath & Steinke 2020,
 * Algorithm 3 with Algorithms 1-2 inlined) from a ChaCha20 keystream
 * (RFC 8439) keyed by node:crypto: the same algorithm as
 * src/dp/mechanisms/discrete-samplers.ts (DiscreteGaussianPow2), reading
 * random bits exactly as its SecureBits does (32-bit words, low bits first,
 * integers by rejection, Bernoulli(n / 2^k) as a k-bit comparison), so for
 * the same words both give the same numbers (a test checks it). Integer
 * arithmetic only: no floating-point number shapes the distribution.
 *
 * Samples come in chunks of PM_NOISE_CHUNK, chunk c from its own stream
 * (nonce = c, counter from 0), so threads draw them in parallel and the
 * values do not depend on the thread count. The noise does not depend on
 * the data, so DP-SGD draws it ahead of the step in the background
 * (noise-ahead.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "privmed.h"

#define LANES 8
#define BUF_WORDS (16 * LANES)

typedef struct {
  uint32_t key[8], nonce[3], counter;
  uint32_t buf[BUF_WORDS];
  int pos;
  uint32_t pool; /* unread bits, lowest first */
  int avail;
} bits_t;

#define ROTL(v, n) (((v) << (n)) | ((v) >> (32 - (n))))
#define QR(a, b, c, d)                                      \
  for (int l = 0; l < LANES; l++) {                          \
    x[a][l] += x[b][l], x[d][l] ^= x[a][l], x[d][l] = ROTL(x[d][l], 16); \
    x[c][l] += x[d][l], x[b][l] ^= x[c][l], x[b][l] = ROTL(x[b][l], 12); \
    x[a][l] += x[b][l], x[d][l] ^= x[a][l], x[d][l] = ROTL(x[d][l], 8);  \
    x[c][l] += x[d][l], x[b][l] ^= x[c][l], x[b][l] = ROTL(x[b][l], 7);  \
  }

/* Eight ChaCha20 blocks (counters counter..counter+7), lane-parallel so the compiler vectorises them. */
#define CHACHA8_BODY                                                                                 \
  uint32_t x[16][LANES], in[16][LANES];                                                              \
  static const uint32_t sigma[4] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};                 \
  for (int l = 0; l < LANES; l++) {                                                                  \
    for (int i = 0; i < 4; i++) in[i][l] = sigma[i];                                                 \
    for (int i = 0; i < 8; i++) in[4 + i][l] = s->key[i];                                            \
    in[12][l] = s->counter + (uint32_t)l;                                                            \
    for (int i = 0; i < 3; i++) in[13 + i][l] = s->nonce[i];                                         \
  }                                                                                                  \
  memcpy(x, in, sizeof x);                                                                           \
  for (int r = 0; r < 10; r++) {                                                                     \
    QR(0, 4, 8, 12) QR(1, 5, 9, 13) QR(2, 6, 10, 14) QR(3, 7, 11, 15);                               \
    QR(0, 5, 10, 15) QR(1, 6, 11, 12) QR(2, 7, 8, 13) QR(3, 4, 9, 14);                               \
  }                                                                                                  \
  for (int l = 0; l < LANES; l++)                                                                    \
    for (int i = 0; i < 16; i++) s->buf[l * 16 + i] = x[i][l] + in[i][l];                            \
  s->counter += LANES;

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2"))) static void chacha8_avx2(bits_t *s) { CHACHA8_BODY }
#endif
static void chacha8_plain(bits_t *s) { CHACHA8_BODY }

static int use_avx2 = -1;

static void refill(bits_t *s) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (use_avx2 < 0) use_avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
  if (use_avx2) chacha8_avx2(s);
  else
#endif
    chacha8_plain(s);
  s->pos = 0;
}

static inline uint32_t next_word(bits_t *s) {
  if (s->pos == BUF_WORDS) refill(s);
  return s->buf[s->pos++];
}

/* The next k <= 32 bits, lowest first from a 32-bit pool whose leftover bits are dropped (SecureBits.bits). */
static inline uint32_t take(bits_t *s, int k) {
  if (k == 32) return next_word(s);
  if (k == 0) return 0;
  if (s->avail < k) s->pool = next_word(s), s->avail = 32;
  const uint32_t v = s->pool & ((1u << k) - 1);
  s->pool >>= k;
  s->avail -= k;
  return v;
}

/* Uniform in [0, n) by rejection, 1 <= n (SecureBits.uniformInt). */
static uint64_t uniform_int(bits_t *s, uint64_t n) {
  if (n == 1) return 0;
  const int k = 64 - __builtin_clzll(n - 1);
  for (;;) {
    const uint64_t v = k <= 32 ? take(s, k) : ((uint64_t)take(s, k - 32) << 32 | next_word(s));
    if (v < n) return v;
  }
}

/* Bernoulli(n / 2^k), 0 <= n <= 2^k, k <= 53 (SecureBits.belowPow2). */
static inline int below_pow2(bits_t *s, uint64_t n, int k) {
  if (k <= 32) return take(s, k) < n;
  const uint32_t high = take(s, k - 32), n_high = (uint32_t)(n >> 32);
  if (high != n_high) return high < n_high;
  return next_word(s) < (uint32_t)n;
}

static inline int one_over(bits_t *s, uint64_t K) { return K == 1 || uniform_int(s, K) == 0; }

/* Bernoulli(exp(-1)): K counts successes of Bernoulli(1/K) from K = 2; exp(-1) = P(K odd). */
static inline int exp_minus_one(bits_t *s) {
  uint64_t K = 2;
  while (uniform_int(s, K) == 0) K++;
  return (int)(K & 1);
}

static int exp_integer(bits_t *s, uint64_t n) {
  for (uint64_t i = 0; i < n; i++)
    if (!exp_minus_one(s)) return 0;
  return 1;
}

/* Bernoulli(exp(-n / 2^k)), 0 <= n < 2^k. */
static inline int exp_fraction(bits_t *s, uint64_t n, int k) {
  if (n == 0) return 1;
  uint64_t K = 1;
  while (below_pow2(s, n, k) && one_over(s, K)) K++;
  return (int)(K & 1);
}

/* Bernoulli(exp(-a^2 / (2 t^2))), t = 2^m. */
static int accept(bits_t *s, uint64_t a, int m) {
  const uint64_t t = (uint64_t)1 << m;
  const int sq = 2 * m + 1;
  if (a < t) return exp_fraction(s, a * a, sq);
  const uint64_t h = a >> m, l = a & (t - 1), hh = h * h, hl = h * l;
  return exp_integer(s, hh / 2) && (hh % 2 == 0 || exp_fraction(s, t * t, sq)) && exp_integer(s, hl >> m) &&
         exp_fraction(s, hl & (t - 1), m) && exp_fraction(s, l * l, sq);
}

static int64_t sample(bits_t *s, int m) {
  const int64_t t = (int64_t)1 << m;
  for (;;) {
    const uint32_t u = take(s, m);
    if (!exp_fraction(s, u, m)) continue;
    int64_t v = 0;
    while (exp_minus_one(s)) v++;
    const int64_t y = (int64_t)u + t * v;
    const int negative = (int)take(s, 1);
    if (negative && y == 0) continue;
    if (accept(s, (uint64_t)(y >= t ? y - t : t - y), m)) return negative ? -y : y;
  }
}

void pm_noise_chunk(const uint32_t key[8], int m, long n, long c, double *out) {
  bits_t s;
  memcpy(s.key, key, sizeof s.key);
  s.nonce[0] = (uint32_t)c, s.nonce[1] = 0, s.nonce[2] = 0;
  s.counter = 0;
  s.pos = BUF_WORDS;
  s.pool = 0, s.avail = 0;
  const long i0 = c * PM_NOISE_CHUNK, i1 = i0 + PM_NOISE_CHUNK < n ? i0 + PM_NOISE_CHUNK : n;
  for (long i = i0; i < i1; i++) out[i] = (double)sample(&s, m);
  memset(&s, 0, sizeof s);
}

int pm_noise_valid(int m, long n) { return m >= 0 && m <= PM_NOISE_MAX_LOG2 && n >= 0 && n <= (1L << 40); }

typedef struct {
  const uint32_t *key;
  int m;
  long n;
  double *out;
} at_once;

static void at_once_task(void *ctx, int c) {
  const at_once *a = ctx;
  pm_noise_chunk(a->key, a->m, a->n, c, a->out);
}

int pm_discrete_gaussian(const uint32_t key[8], int m, double *out, long n) {
  if (!pm_noise_valid(m, n)) return -1;
  const long chunks = (n + PM_NOISE_CHUNK - 1) / PM_NOISE_CHUNK;
  if (chunks > 0x7FFFFF) return -1; /* pool tasks are 24-bit */
  at_once a = {key, m, n, out};
  if (chunks > 0) pm_pool_run(at_once_task, &a, (int)chunks);
  return 0;
}

/* The raw keystream words of chunk c (tests compare it with node:crypto's chacha20). */
void pm_chacha_words(const uint32_t key[8], uint32_t c, uint32_t *out, long n) {
  bits_t s;
  memcpy(s.key, key, sizeof s.key);
  s.nonce[0] = c, s.nonce[1] = 0, s.nonce[2] = 0;
  s.counter = 0;
  s.pos = BUF_WORDS;
  for (long i = 0; i < n; i++) out[i] = next_word(&s);
}
