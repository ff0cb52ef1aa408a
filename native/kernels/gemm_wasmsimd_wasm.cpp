// lam_f32_gemm_ukernel_4x16__wasmsimd — WebAssembly SIMD128 SGEMM micro-kernel (wasm build only;
// CMake excludes *_wasm*.cpp, wasm/build.mjs compiles it with -msimd128 [-mrelaxed-simd]).
//
// C[4×16] (= | +=) Σ_k a[k·4 + i] · b[k·16 + j], i < 4, j < 16, over kc steps of the packed
// slivers of matmul.cpp (A: 4 floats a step, B: 16 floats a step). 2·4·16·kc FLOPs; reads
// 80·kc bytes of L1-resident packed data, touches C once. acc = 0 never reads C.
//
// Why two 4×8 passes instead of one 4×16 tile: V8 maps v128 values onto the 16 xmm registers of
// x86-64. A one-pass 4×16 tile needs 16 accumulators + 4 B vectors + a broadcast = 21 live
// vectors and spills accumulators every step; 4×8 needs 8 + 2 + 1 = 11, so the loop stays in
// registers. The second pass re-reads the 4-float A sliver from L1, which is cheap.
// Plain SIMD128 has no fused multiply-add, so each step is mul + add (the ceiling is half the
// FMA peak); under -mrelaxed-simd it uses f32x4.relaxed_madd (one FMA on x86 with FMA3/ARM).
// The scalar twin is lam_f32_gemm_ukernel_4x16__scalar (gemm_scalar.cpp), same packing.
// Test: test/kernels/matmul.test.ts on every wasm variant (and test/wasm/). Bench:
// benchmarks/wasm/gemm.mjs (vs tfjs-backend-wasm and onnxruntime-web), lamkit bench kernels.
#include "gemm_ukernels.h"

#ifdef __wasm_simd128__
#include <wasm_simd128.h>

namespace {

inline v128_t madd(v128_t acc, v128_t a, v128_t b) {
#ifdef __wasm_relaxed_simd__
  return wasm_f32x4_relaxed_madd(a, b, acc);
#else
  return wasm_f32x4_add(acc, wasm_f32x4_mul(a, b));
#endif
}

// Columns [col, col+8) of the 4×16 tile. Per k step: two B vectors, four A values broadcast
// straight from memory (v128.load32_splat → one vbroadcastss load, no shuffle-port uop; the
// i32x4 shuffle splat it replaces measured 10–15% slower) and 8 multiply-adds.
// The loop must stay a plain one-step loop: clang's unroll-by-2 (or a manual one) hoists the
// next step's loads and V8 then spills accumulators; that measured 2× slower (24 vs 50 GFLOP/s
// with relaxed_madd, 27 vs 32 with mul+add, L2-resident 128×256 A block, /tmp harness).
inline void tile_4x8(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int acc) {
  v128_t c00 = wasm_f32x4_const_splat(0.0f), c01 = c00, c10 = c00, c11 = c00;
  v128_t c20 = c00, c21 = c00, c30 = c00, c31 = c00;
#pragma clang loop unroll(disable)
  for (int64_t k = 0; k < kc; ++k) {
    const v128_t b0 = wasm_v128_load(b), b1 = wasm_v128_load(b + 4);
    v128_t s = wasm_v128_load32_splat(a);
    c00 = madd(c00, s, b0);
    c01 = madd(c01, s, b1);
    s = wasm_v128_load32_splat(a + 1);
    c10 = madd(c10, s, b0);
    c11 = madd(c11, s, b1);
    s = wasm_v128_load32_splat(a + 2);
    c20 = madd(c20, s, b0);
    c21 = madd(c21, s, b1);
    s = wasm_v128_load32_splat(a + 3);
    c30 = madd(c30, s, b0);
    c31 = madd(c31, s, b1);
    a += 4;
    b += 16;
  }
  float* r0 = c;
  float* r1 = c + ldc;
  float* r2 = c + 2 * ldc;
  float* r3 = c + 3 * ldc;
  if (acc) {
    c00 = wasm_f32x4_add(c00, wasm_v128_load(r0));
    c01 = wasm_f32x4_add(c01, wasm_v128_load(r0 + 4));
    c10 = wasm_f32x4_add(c10, wasm_v128_load(r1));
    c11 = wasm_f32x4_add(c11, wasm_v128_load(r1 + 4));
    c20 = wasm_f32x4_add(c20, wasm_v128_load(r2));
    c21 = wasm_f32x4_add(c21, wasm_v128_load(r2 + 4));
    c30 = wasm_f32x4_add(c30, wasm_v128_load(r3));
    c31 = wasm_f32x4_add(c31, wasm_v128_load(r3 + 4));
  }
  wasm_v128_store(r0, c00);
  wasm_v128_store(r0 + 4, c01);
  wasm_v128_store(r1, c10);
  wasm_v128_store(r1 + 4, c11);
  wasm_v128_store(r2, c20);
  wasm_v128_store(r2 + 4, c21);
  wasm_v128_store(r3, c30);
  wasm_v128_store(r3 + 4, c31);
}

}  // namespace

extern "C" void lam_f32_gemm_ukernel_4x16__wasmsimd(int64_t kc, const float* a, const float* b,
                                                    float* c, int64_t ldc, int acc) {
  // tile_4x8 walks b with a stride of 16 floats a step, reading the first or second 8 columns
  // depending on the starting offset. The two halves run as a loop over one copy of the tile
  // code rather than two inlined copies: V8 then compiles this function 10–15% faster (35 vs 31
  // GFLOP/s with mul+add, 37 vs 34 with relaxed_madd, called through a function pointer as
  // matmul.cpp does; /tmp harness, same run), presumably a better register allocation of one loop.
  if (acc) {
    // Touch the 4 C rows (one 64-byte line each) before the k loop so their cache misses
    // overlap it instead of stalling the final read-modify-write; wasm has no prefetch. With
    // acc, C was last written a whole KC block earlier and has left L1/L2 (whole 1024² product,
    // same-process A/B: +10% at 1 and 2 threads; 512²: no change).
    for (int r = 0; r < 4; ++r) (void)*(volatile const float*)(c + r * ldc);
  }
#pragma clang loop unroll(disable)
  for (int h = 0; h < 2; ++h) tile_4x8(kc, a, b + 8 * h, c + 8 * h, ldc, acc);
}

#endif  // __wasm_simd128__
