/* Instruction-set variants of the micro-kernels, chosen at run time (never -march=native). */
#include <string.h>
#include "privmed.h"

/* Portable C: every CPU. */
#define SFX scalar
#define TGT
#define MR 4
#define W 1
#define NV 8
#define VT float
#define MT int
#define MASK(n) ((n) > 0)
#define VZERO 0.0f
#define VSET1(x) (x)
#define VLOAD(p, m) ((m) ? *(p) : 0.0f)
#define VFMA(a, b, c) ((a) * (b) + (c))
#define VADD(a, b) ((a) + (b))
#define VSTORE(p, v, m) do { if (m) *(p) = (v); } while (0)
#define VMAX(a, b) ((a) > (b) ? (a) : (b))
#define VMIN(a, b) ((a) < (b) ? (a) : (b))
#include "ukernel.h"
#undef SFX
#undef TGT
#undef MR
#undef W
#undef NV
#undef VT
#undef MT
#undef MASK
#undef VZERO
#undef VSET1
#undef VLOAD
#undef VFMA
#undef VADD
#undef VSTORE
#undef VMAX
#undef VMIN

static const pm_isa ISA_SCALAR = {"scalar", 4, 8, k1_scalar, k2_scalar};

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

/* AVX2 + FMA: 6 x 16 tile, 12 accumulators. */
#define SFX avx2
#define TGT __attribute__((target("avx2,fma")))
#define MR 6
#define W 8
#define NV 2
#define VT __m256
#define MT __m256i
#define MASK(n) _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))
#define VZERO _mm256_setzero_ps()
#define VSET1(x) _mm256_set1_ps(x)
#define VLOAD(p, m) _mm256_maskload_ps((p), (m))
#define VFMA(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define VADD(a, b) _mm256_add_ps((a), (b))
#define VSTORE(p, v, m) _mm256_maskstore_ps((p), (m), (v))
#define VMAX(a, b) _mm256_max_ps((a), (b))
#define VMIN(a, b) _mm256_min_ps((a), (b))
#include "ukernel.h"
#undef SFX
#undef TGT
#undef MR
#undef W
#undef NV
#undef VT
#undef MT
#undef MASK
#undef VZERO
#undef VSET1
#undef VLOAD
#undef VFMA
#undef VADD
#undef VSTORE
#undef VMAX
#undef VMIN

/* AVX-512: 12 x 32 tile, 24 accumulators. */
#define SFX avx512
#define TGT __attribute__((target("avx512f,fma")))
#define MR 12
#define W 16
#define NV 2
#define VT __m512
#define MT __mmask16
#define MASK(n) ((__mmask16)((n) >= 16 ? 0xFFFF : (n) <= 0 ? 0 : ((1u << (n)) - 1)))
#define VZERO _mm512_setzero_ps()
#define VSET1(x) _mm512_set1_ps(x)
#define VLOAD(p, m) _mm512_maskz_loadu_ps((m), (p))
#define VFMA(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define VADD(a, b) _mm512_add_ps((a), (b))
#define VSTORE(p, v, m) _mm512_mask_storeu_ps((p), (m), (v))
#define VMAX(a, b) _mm512_max_ps((a), (b))
#define VMIN(a, b) _mm512_min_ps((a), (b))
#include "ukernel.h"

static const pm_isa ISA_AVX2 = {"avx2", 6, 16, k1_avx2, k2_avx2};
static const pm_isa ISA_AVX512 = {"avx512", 12, 32, k1_avx512, k2_avx512};

static int has_avx512(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
}
static int has_avx2(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#endif

const pm_isa *pm_cur = &ISA_SCALAR;

const pm_isa *pm_isa_best(void) {
#if defined(__x86_64__) || defined(__i386__)
  if (has_avx512()) return &ISA_AVX512;
  if (has_avx2()) return &ISA_AVX2;
#endif
  return &ISA_SCALAR;
}

const pm_isa *pm_isa_by_name(const char *name) {
  if (strcmp(name, "scalar") == 0) return &ISA_SCALAR;
#if defined(__x86_64__) || defined(__i386__)
  if (strcmp(name, "avx2") == 0) return has_avx2() ? &ISA_AVX2 : NULL;
  if (strcmp(name, "avx512") == 0) return has_avx512() ? &ISA_AVX512 : NULL;
#endif
  return NULL;
}
