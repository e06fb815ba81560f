/* privmed's native kernels: shared declarations. */
#ifndef PRIVMED_H
#define PRIVMED_H
#include <stddef.h>

#define PM_MAX_MR 16
#define PM_MAX_NR 32
#define PM_MAX_TAPS 64

typedef void (*pm_k1_fn)(const float *const *rows, const float *const *bt, int ntaps, int C, long ldb, int mr, int nr, float *const *crow,
                         const float *bias, int act, int accumulate);
typedef void (*pm_k2_fn)(const float *const *ps, const float *const *bs, const int *ns, int nseg, long sp, long sb, int mr, int nr,
                         float *c, long ldc);

typedef struct {
  const char *name;
  int mr, nr;
  pm_k1_fn k1;
  pm_k2_fn k2;
} pm_isa;

/* isa.c */
const pm_isa *pm_isa_best(void);       /* what this CPU supports */
const pm_isa *pm_isa_by_name(const char *name); /* NULL if unknown or unsupported here */
extern const pm_isa *pm_cur;

/* pool.c: tasks 0..ntasks-1 run on the calling thread and the workers. */
typedef void (*pm_task_fn)(void *ctx, int task);
int pm_pool_start(int threads);
int pm_pool_threads(void);
void pm_pool_run(pm_task_fn fn, void *ctx, int ntasks);

/* gemm.c */
enum { PM_ACT_NONE = 0, PM_ACT_RELU = 1, PM_ACT_RELU6 = 2 };

/* An implicit-GEMM description: rows are pixels of a grid, gathered from src per tap. */
typedef struct {
  const float *src;
  long sH, sW, sC, c_off; /* source image dims, floats per pixel, first channel used */
  int C;                  /* channels reduced per tap */
  int nb, gh, gw;         /* grid: rows M = nb * gh * gw */
  int sy, sx, by, bx;     /* source pixel = (y*sy + by + ty[t], x*sx + bx + tx[t]) */
  int ntaps;
  int ty[PM_MAX_TAPS], tx[PM_MAX_TAPS];
  const float *bt[PM_MAX_TAPS]; /* B rows of tap t: bt[t] + c*ldb */
  long ldb;
  int N;
  float *dst;
  long dH, dW, ldc;       /* destination image dims and floats per pixel */
  int dsy, dsx, dy0, dx0; /* destination pixel = (y*dsy + dy0, x*dsx + dx0) */
  const float *bias;
  int act, accumulate;
} pm_igemm;

void pm_igemm_run(pm_igemm *g);
/* c[M,N] (ldc) = a^T b with a [K, M] (lda), b [K, N] (ldb); _serial on the calling thread (inside a pool task). */
void pm_gemm_atb(const float *a, long lda, const float *b, long ldb, float *c, long ldc, int M, int N, int K);
void pm_gemm_atb_serial(const float *a, long lda, const float *b, long ldb, float *c, long ldc, int M, int N, int K);
const float *pm_zeros(size_t n);
/* dst[c][r] = src[r][c] for a rows x cols matrix, cache-blocked. */
void pm_transpose(const float *src, float *dst, long rows, long cols);

/* conv.c: NHWC tensors, filter [KH, KW, CI, CO]. */
typedef struct {
  int N, H, W, CI, KH, KW, CO, OH, OW, sy, sx, pt, pl;
} pm_conv;
int pm_conv_forward(const pm_conv *cv, const float *x, const float *w, const float *bias, int act, float *y);
/* conv-rows.c: CI * KW >= PM_ROW_TAPS_MIN floats per filter row, few channels (3: the small CNN first conv, 3x3 on one channel). */
#define PM_ROW_TAPS_MIN 3
int pm_conv_forward_rows(const pm_conv *cv, const float *x, const float *w, pm_igemm *g);
/* Below this many input channels a tap's reduction is too short: an explicit im2col (or row taps, conv-rows.c). */
#define PM_IM2COL_BELOW_CI 16
float *pm_im2col(const pm_conv *cv, const float *x); /* cols[(b, oy, ox), (kh, kw, ci)]; malloc'd, NULL without memory */
/* conv-filter-grad.c: the batch's filter gradient, and each sample's (dw [N, KH, KW, CI, CO]) */
int pm_conv_filter_grad(const pm_conv *cv, const float *x, const float *dy, float *dw);
int pm_conv_filter_grad_per_sample(const pm_conv *cv, const float *x, const float *dy, float *dw);
int pm_conv_input_grad(const pm_conv *cv, const float *dy, const float *w, float *dx);
int pm_matmul(const float *a, const float *b, float *c, const float *bias, int act, int M, int K, int N, int ta, int tb);

/* elementwise.c: out[i] = a[i % na] op b[i % nb]; na and nb divide n. */
enum { PM_OP_ADD = 0, PM_OP_SUB = 1, PM_OP_MUL = 2, PM_OP_DIV = 3 };
int pm_binary(int op, const float *a, long na, const float *b, long nb, float *out, long n);
int pm_relu(const float *x, float *y, long n);
int pm_fill32(unsigned int *y, unsigned int bits, long n);
int pm_relu_grad(const float *dy, const float *x, float *dx, long n);
int pm_adam(const float *w, const float *g, const float *m, const float *v, float *w2, float *m2, float *v2, long n, double b1, double b2, double lr,
            double eps, double c1, double c2);

/* pooling.c */
int pm_max_pool(const float *x, float *y, int N, int H, int W, int C, int OH, int OW, int fh, int fw, int sy, int sx, int pt, int pl);
int pm_max_pool_grad(const float *x, const float *dy, float *dx, int N, int H, int W, int C, int OH, int OW, int fh, int fw, int sy, int sx, int pt,
                     int pl);

/* norm.c: x as [N, S, C], statistics per (n, group of C/G channels); mean and variance [N, G]. */
int pm_norm_forward(const float *x, const float *gamma, const float *beta, float *y, float *mean, float *var, int N, long S, int C, int G,
                    float eps);
int pm_norm_backward(const float *dy, const float *x, const float *mean, const float *var, const float *gamma, float *dx, float *dgamma,
                     float *dbeta, int N, long S, int C, int G, float eps);
int pm_norm_param_grads(const float *dy, const float *x, const float *mean, const float *var, float *dgamma, float *dbeta, int N, long S, int C,
                        int G, float eps);
int pm_batch_norm_infer(const float *x, const float *mean, const float *var, const float *scale, const float *offset, float eps, float *y, long n, int C);

/* clip.c: DP-SGD clipping; rows[v] is B x sizes[v], or with outer_d[v] != NULL the factors a = rows[v] (B x outer_n[v])
 * and d = outer_d[v] (B x sizes[v] / outer_n[v]); sums[v] accumulate; kept_out[b] = 0 for a dropped sample. */
#define PM_CLIP_MAX_GROUPS 4096
int pm_clip_sum(const float *const *rows, const float *const *outer_d, const long *outer_n, const long *sizes, const int *group, const double *bounds,
                int V, int G, int B, double *const *sums, unsigned char *kept_out);
/* out[i] = (float)((Math.round(f[i] / grid) + noise[i]) * grid / divisor); -1, or the first index out of the grid's range */
long pm_grid_release(const double *f, const double *noise, long n, double grid, double divisor, float *out);

/* noise.c: exact discrete Gaussian of scale 2^m from a ChaCha20 stream per chunk of PM_NOISE_CHUNK samples. */
#define PM_NOISE_CHUNK 4096
#define PM_NOISE_MAX_LOG2 26
#include <stdint.h>
int pm_discrete_gaussian(const uint32_t key[8], int m, double *out, long n);
int pm_noise_valid(int m, long n);
void pm_noise_chunk(const uint32_t key[8], int m, long n, long c, double *out); /* out[i] for i in chunk c (of n values) */
void pm_chacha_words(const uint32_t key[8], uint32_t chunk, uint32_t *out, long n);
typedef struct pm_noise pm_noise;
/* noise-ahead.c */
pm_noise *pm_noise_start(const uint32_t key[8], int m, long n); /* NULL on bad arguments or no memory */
int pm_noise_wait(pm_noise *j, double *out, long n);           /* once; the same values as pm_discrete_gaussian */
void pm_noise_free(pm_noise *j);

/* ring.c: Z_2^64 convolution (wrapping uint64), NHWC batch 1, filter [KH, KW, CI, CO]; 0, or -1 (N != 1, no memory). */
int pm_ring_conv(const pm_conv *cv, const uint64_t *x, const uint64_t *w, uint64_t *y);
const char *pm_ring_isa(void); /* the variant pm_ring_conv runs under the pinned ISA */

#endif
