// wasm-only entry points beside the kernels.h / executor.h C ABI: what the module was built
// with, heap allocation that goes through the (locked) allocator, heap size, and the SIMD
// ceiling loop the benchmark prints. Used by src/backends/wasm.ts and benchmarks/wasm/.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

#include "wasm_export.h"

// Bit 0: SIMD128, bit 1: relaxed SIMD, bit 2: atomics / shared memory (worker pool).
LAM_WASM_EXPORT int32_t lam_wasm_features(void) {
  int32_t f = 0;
#ifdef __wasm_simd128__
  f |= 1;
#endif
#ifdef __wasm_relaxed_simd__
  f |= 2;
#endif
#ifdef __wasm_atomics__
  f |= 4;
#endif
  return f;
}

// malloc/free for JS: in the threaded variants these go through the allocator lock
// (malloc_lock_mt.cpp) because the plain `malloc` export is the unwrapped one.
LAM_WASM_EXPORT void* lam_wasm_malloc(uint32_t bytes) { return malloc(bytes); }
LAM_WASM_EXPORT void lam_wasm_free(void* p) { free(p); }

// Current linear memory in bytes (grows on demand up to the link-time maximum).
LAM_WASM_EXPORT double lam_wasm_heap_bytes(void) {
  return (double)__builtin_wasm_memory_size(0) * 65536.0;
}

// Register-only floating-point loop for the "SIMD ceiling" the benchmark prints: independent
// mul and add chains (mode 0, 48 flops an iteration) or relaxed fused multiply-add chains
// (mode 1, 80 flops an iteration; plain mul+add where relaxed SIMD is absent). Enough chains
// to cover latency × throughput on current x86 cores (3-4 cycles, 2 ports) without spilling
// the 16 xmm registers V8 has. Returns a value so the loop cannot be removed.
LAM_WASM_EXPORT float lam_wasm_simd_ceiling(int32_t iters, int32_t mode) {
#ifdef __wasm_simd128__
  const v128_t m = wasm_f32x4_splat(0.999999f), a = wasm_f32x4_splat(1e-7f);
  if (mode == 1) {
    v128_t x0 = wasm_f32x4_splat(1.0f), x1 = wasm_f32x4_splat(1.1f), x2 = wasm_f32x4_splat(1.2f),
           x3 = wasm_f32x4_splat(1.3f), x4 = wasm_f32x4_splat(1.4f), x5 = wasm_f32x4_splat(1.5f),
           x6 = wasm_f32x4_splat(1.6f), x7 = wasm_f32x4_splat(1.7f), x8 = wasm_f32x4_splat(1.8f),
           x9 = wasm_f32x4_splat(1.9f);
    for (int32_t i = 0; i < iters; ++i) {
#ifdef __wasm_relaxed_simd__
#define LAM_MADD(x) x = wasm_f32x4_relaxed_madd(x, m, a)
#else
#define LAM_MADD(x) x = wasm_f32x4_add(wasm_f32x4_mul(x, m), a)
#endif
      LAM_MADD(x0); LAM_MADD(x1); LAM_MADD(x2); LAM_MADD(x3); LAM_MADD(x4);
      LAM_MADD(x5); LAM_MADD(x6); LAM_MADD(x7); LAM_MADD(x8); LAM_MADD(x9);
#undef LAM_MADD
    }
    v128_t s = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_add(x0, x1), wasm_f32x4_add(x2, x3)),
                              wasm_f32x4_add(wasm_f32x4_add(x4, x5), wasm_f32x4_add(x6, x7)));
    s = wasm_f32x4_add(s, wasm_f32x4_add(x8, x9));
    return wasm_f32x4_extract_lane(s, 0) + wasm_f32x4_extract_lane(s, 3);
  }
  v128_t p0 = wasm_f32x4_splat(1.0f), p1 = wasm_f32x4_splat(1.1f), p2 = wasm_f32x4_splat(1.2f),
         p3 = wasm_f32x4_splat(1.3f), p4 = wasm_f32x4_splat(1.4f), p5 = wasm_f32x4_splat(1.5f);
  v128_t q0 = wasm_f32x4_splat(0.0f), q1 = wasm_f32x4_splat(0.1f), q2 = wasm_f32x4_splat(0.2f),
         q3 = wasm_f32x4_splat(0.3f), q4 = wasm_f32x4_splat(0.4f), q5 = wasm_f32x4_splat(0.5f);
  for (int32_t i = 0; i < iters; ++i) {
    p0 = wasm_f32x4_mul(p0, m); q0 = wasm_f32x4_add(q0, a);
    p1 = wasm_f32x4_mul(p1, m); q1 = wasm_f32x4_add(q1, a);
    p2 = wasm_f32x4_mul(p2, m); q2 = wasm_f32x4_add(q2, a);
    p3 = wasm_f32x4_mul(p3, m); q3 = wasm_f32x4_add(q3, a);
    p4 = wasm_f32x4_mul(p4, m); q4 = wasm_f32x4_add(q4, a);
    p5 = wasm_f32x4_mul(p5, m); q5 = wasm_f32x4_add(q5, a);
  }
  v128_t s = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_add(p0, p1), wasm_f32x4_add(p2, p3)),
                            wasm_f32x4_add(p4, p5));
  s = wasm_f32x4_add(s, wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_add(q0, q1), wasm_f32x4_add(q2, q3)),
                                       wasm_f32x4_add(q4, q5)));
  return wasm_f32x4_extract_lane(s, 0) + wasm_f32x4_extract_lane(s, 3);
#else
  (void)mode;
  float p = 1.0f, q = 0.0f;
  for (int32_t i = 0; i < iters; ++i) {
    p *= 0.999999f;
    q += 1e-7f;
  }
  return p + q;
#endif
}

// Flops one iteration of lam_wasm_simd_ceiling performs (so JS need not hard-code them).
LAM_WASM_EXPORT int32_t lam_wasm_simd_ceiling_flops(int32_t mode) {
#ifdef __wasm_simd128__
  return mode == 1 ? 80 : 48;
#else
  (void)mode;
  return 2;
#endif
}
