/*
 * Convolution in the ring Z_2^64 (encrypted inference, src/smpc): NHWC with
 * batch 1, filter [KH, KW, CI, CO], every product and sum wraps mod 2^64
 * (unsigned arithmetic), so the result is bit-identical to the WebAssembly
 * kernel's (src/smpc/ring-wasm.ts) whatever the instruction set.
 *
 * Tiles of MR output pixels (one output row) by NR output channels keep their
 * sums in registers while the taps and input channels stream past: per input
 * channel one load of the filter row and MR broadcasts of the pixels' values.
 * Out-of-image taps read a row of zeros. Variants chosen at run time from the
 * pinned float ISA (pm_cur): AVX-512 with VPMULLQ (avx512dq), AVX2 without a
 * 64-bit multiply (the low and cross 32-bit products summed apart, joined once
 * at the end), portable C.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "privmed.h"

#define RING_MR 4

typedef struct ring_job {
  const pm_conv *cv;
  const uint64_t *x, *w, *zeros;
  uint64_t *y;
  void (*tile)(const struct ring_job *j, const uint64_t *panel, int oy, int ox0, int npix, int co0, int nco);
  int nr;        /* output channels per tile (the panel's width) */
  int cotiles;   /* tiles of nr output channels */
  int rowchunks; /* output rows split into this many chunks per tile */
} ring_job;

/* The MR input rows of tap (ky, kx) for pixels ox0 .. ox0+MR-1 of output row oy; zeros outside. */
static inline void tap_rows(const ring_job *j, int oy, int ox0, int npix, int ky, int kx, const uint64_t **rows) {
  const pm_conv *c = j->cv;
  const long iy = (long)oy * c->sy - c->pt + ky;
  for (int m = 0; m < RING_MR; m++) {
    const long ix = (long)(ox0 + m) * c->sx - c->pl + kx;
    rows[m] = (m < npix && iy >= 0 && iy < c->H && ix >= 0 && ix < c->W) ? j->x + (iy * c->W + ix) * c->CI : j->zeros;
  }
}

/* Portable C: an MR x 8 tile of 64-bit sums; panel rows are 8 wide. */
static void tile_scalar(const ring_job *j, const uint64_t *panel, int oy, int ox0, int npix, int co0, int nco) {
  const pm_conv *c = j->cv;
  uint64_t acc[RING_MR][8];
  memset(acc, 0, sizeof acc);
  const uint64_t *rows[RING_MR];
  const uint64_t *wt = panel;
  for (int ky = 0; ky < c->KH; ky++)
    for (int kx = 0; kx < c->KW; kx++) {
      tap_rows(j, oy, ox0, npix, ky, kx, rows);
      for (int ci = 0; ci < c->CI; ci++, wt += 8)
        for (int m = 0; m < RING_MR; m++) {
          const uint64_t xv = rows[m][ci];
          for (int v = 0; v < 8; v++) acc[m][v] += xv * wt[v];
        }
    }
  for (int m = 0; m < npix; m++) memcpy(j->y + ((long)oy * c->OW + ox0 + m) * c->CO + co0, acc[m], (size_t)nco * 8);
}

#if defined(__x86_64__)
#include <immintrin.h>

/* AVX-512: MR x 32 (four vectors of 8 lanes), VPMULLQ with the pixel's value broadcast. */
__attribute__((target("avx512f,avx512dq"))) static void tile_avx512(const ring_job *j, const uint64_t *panel, int oy, int ox0, int npix, int co0,
                                                                   int nco) {
  const pm_conv *c = j->cv;
  __m512i acc[RING_MR][4];
  for (int m = 0; m < RING_MR; m++)
    for (int v = 0; v < 4; v++) acc[m][v] = _mm512_setzero_si512();
  const uint64_t *rows[RING_MR];
  const uint64_t *wt = panel;
  for (int ky = 0; ky < c->KH; ky++)
    for (int kx = 0; kx < c->KW; kx++) {
      tap_rows(j, oy, ox0, npix, ky, kx, rows);
      for (int ci = 0; ci < c->CI; ci++, wt += 32) {
        const __m512i w0 = _mm512_loadu_si512(wt), w1 = _mm512_loadu_si512(wt + 8);
        const __m512i w2 = _mm512_loadu_si512(wt + 16), w3 = _mm512_loadu_si512(wt + 24);
        for (int m = 0; m < RING_MR; m++) {
          const __m512i xv = _mm512_set1_epi64((long long)rows[m][ci]);
          acc[m][0] = _mm512_add_epi64(acc[m][0], _mm512_mullo_epi64(xv, w0));
          acc[m][1] = _mm512_add_epi64(acc[m][1], _mm512_mullo_epi64(xv, w1));
          acc[m][2] = _mm512_add_epi64(acc[m][2], _mm512_mullo_epi64(xv, w2));
          acc[m][3] = _mm512_add_epi64(acc[m][3], _mm512_mullo_epi64(xv, w3));
        }
      }
    }
  for (int m = 0; m < npix; m++) {
    uint64_t *out = j->y + ((long)oy * c->OW + ox0 + m) * c->CO + co0;
    for (int v = 0; v < 4; v++) {
      const int n = nco - 8 * v;
      if (n <= 0) break;
      _mm512_mask_storeu_epi64(out + 8 * v, n >= 8 ? 0xFF : (__mmask8)((1u << n) - 1), acc[m][v]);
    }
  }
}

/*
 * AVX2: no 64-bit multiply. With x = x1 2^32 + x0, w = w1 2^32 + w0:
 * x w mod 2^64 = x0 w0 + ((x0 w1 + x1 w0) mod 2^32) 2^32. Per lane lo sums
 * x0 w0 (VPMULUDQ, exact) and cross sums x0 w1 and x1 w0 in its two 32-bit
 * halves (VPMULLD against w with its halves swapped); they are joined once.
 */
__attribute__((target("avx2"))) static void tile_avx2(const ring_job *j, const uint64_t *panel, int oy, int ox0, int npix, int co0, int nco) {
  const pm_conv *c = j->cv;
  __m256i lo[RING_MR][2], cross[RING_MR][2];
  for (int m = 0; m < RING_MR; m++)
    for (int v = 0; v < 2; v++) lo[m][v] = cross[m][v] = _mm256_setzero_si256();
  const uint64_t *rows[RING_MR];
  const uint64_t *wt = panel;
  for (int ky = 0; ky < c->KH; ky++)
    for (int kx = 0; kx < c->KW; kx++) {
      tap_rows(j, oy, ox0, npix, ky, kx, rows);
      for (int ci = 0; ci < c->CI; ci++, wt += 8) {
        const __m256i w0 = _mm256_loadu_si256((const __m256i *)wt), w1 = _mm256_loadu_si256((const __m256i *)(wt + 4));
        const __m256i s0 = _mm256_shuffle_epi32(w0, 0xB1), s1 = _mm256_shuffle_epi32(w1, 0xB1);
        for (int m = 0; m < RING_MR; m++) {
          const __m256i xv = _mm256_set1_epi64x((long long)rows[m][ci]);
          lo[m][0] = _mm256_add_epi64(lo[m][0], _mm256_mul_epu32(xv, w0));
          lo[m][1] = _mm256_add_epi64(lo[m][1], _mm256_mul_epu32(xv, w1));
          cross[m][0] = _mm256_add_epi32(cross[m][0], _mm256_mullo_epi32(xv, s0));
          cross[m][1] = _mm256_add_epi32(cross[m][1], _mm256_mullo_epi32(xv, s1));
        }
      }
    }
  for (int m = 0; m < npix; m++) {
    uint64_t *out = j->y + ((long)oy * c->OW + ox0 + m) * c->CO + co0;
    for (int v = 0; v < 2; v++) {
      const __m256i x = cross[m][v];
      const __m256i sum = _mm256_add_epi32(x, _mm256_srli_epi64(x, 32));
      const __m256i mk = _mm256_cmpgt_epi64(_mm256_set1_epi64x(nco - 4 * v), _mm256_setr_epi64x(0, 1, 2, 3));
      _mm256_maskstore_epi64((long long *)(out + 4 * v), mk, _mm256_add_epi64(lo[m][v], _mm256_slli_epi64(sum, 32)));
    }
  }
}

static int has_avx512dq(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
}
#endif

typedef void (*ring_tile_fn)(const ring_job *j, const uint64_t *panel, int oy, int ox0, int npix, int co0, int nco);

/* The variant for the pinned float ISA: avx512 needs avx512dq as well, else avx2 runs. */
static ring_tile_fn ring_tile(int *nr, const char **name) {
#if defined(__x86_64__)
  if (strcmp(pm_cur->name, "avx512") == 0 && has_avx512dq()) {
    *nr = 32;
    *name = "avx512";
    return tile_avx512;
  }
  if (strcmp(pm_cur->name, "avx2") == 0 || strcmp(pm_cur->name, "avx512") == 0) {
    *nr = 8;
    *name = "avx2";
    return tile_avx2;
  }
#endif
  *nr = 8;
  *name = "scalar";
  return tile_scalar;
}

const char *pm_ring_isa(void) {
  int nr;
  const char *name;
  ring_tile(&nr, &name);
  return name;
}

/*
 * Each task packs its tile's filter columns into a contiguous panel [KH KW CI][nr] (zero
 * beyond CO) in a buffer its thread keeps: read in place, a row of ResNet's 512-channel
 * filters is 4 KB from the next (a new page per input channel), and the panel is read
 * once per pixel tile.
 */
static _Thread_local uint64_t *panel_buf;
static _Thread_local size_t panel_cap;

static void ring_task(void *ctx, int task) {
  const ring_job *j = ctx;
  const pm_conv *c = j->cv;
  const int t = task / j->rowchunks, chunk = task % j->rowchunks;
  const long K = (long)c->KH * c->KW * c->CI;
  const size_t need = (size_t)K * j->nr;
  if (need > panel_cap) {
    free(panel_buf);
    panel_buf = malloc(need * sizeof(uint64_t));
    panel_cap = panel_buf ? need : 0;
    if (!panel_buf) abort(); /* a few MB at most (K x nr); nothing sensible to return to from a worker */
  }
  const int co0 = t * j->nr, nco = c->CO - co0 < j->nr ? c->CO - co0 : j->nr;
  for (long k = 0; k < K; k++) {
    memcpy(panel_buf + k * j->nr, j->w + k * c->CO + co0, (size_t)nco * sizeof(uint64_t));
    if (nco < j->nr) memset(panel_buf + k * j->nr + nco, 0, (size_t)(j->nr - nco) * sizeof(uint64_t));
  }
  const int oy0 = (int)((long)c->OH * chunk / j->rowchunks), oy1 = (int)((long)c->OH * (chunk + 1) / j->rowchunks);
  for (int oy = oy0; oy < oy1; oy++)
    for (int ox0 = 0; ox0 < c->OW; ox0 += RING_MR) j->tile(j, panel_buf, oy, ox0, c->OW - ox0 < RING_MR ? c->OW - ox0 : RING_MR, co0, nco);
}

int pm_ring_conv(const pm_conv *cv, const uint64_t *x, const uint64_t *w, uint64_t *y) {
  if (cv->N != 1) return -1;
  const char *name;
  int nr;
  const ring_tile_fn tile = ring_tile(&nr, &name);
  uint64_t *zeros = calloc((size_t)cv->CI + 1, sizeof(uint64_t));
  if (!zeros) return -1;
  /* Tasks: tiles of output channels, each split into row chunks when there are fewer tiles than two per thread. */
  const int threads = pm_pool_threads();
  const int cotiles = (cv->CO + nr - 1) / nr;
  int rowchunks = 1;
  while (cotiles * rowchunks < 2 * threads && rowchunks < cv->OH) rowchunks++;
  ring_job j = {cv, x, w, zeros, y, tile, nr, cotiles, rowchunks};
  pm_pool_run(ring_task, &j, cotiles * rowchunks);
  free(zeros);
  return 0;
}
