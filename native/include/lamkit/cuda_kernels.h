/*
 * lamkit CUDA kernel C ABI — the same ops, argument order and `acc` semantics as kernels.h,
 * but every pointer is a DEVICE pointer and every call is enqueued on `stream` (asynchronous).
 * Each function returns 0 when the launch was accepted, otherwise the cudaError_t code of the
 * launch (read the message with lam_cuda_error_string). Execution errors (an illegal address,
 * say) surface at the next synchronisation, as with any CUDA launch.
 *
 * FP32 throughout: no TF32, no fast-math (erff/expf are the accurate versions). Kernels that
 * split a reduction across blocks (split-K GEMM, conv backward-filter, bias_grad, mse_loss,
 * scatter_add_rows) accumulate with atomicAdd, so their last bits can vary run to run.
 *
 * The header needs no CUDA include: cudaStream_t is forward-declared exactly as the CUDA
 * runtime declares it, so plain C++ (the tests, the addon) can call these functions.
 * Implementations: native/cuda/<family>.cu. Tests: native/tests/cuda_kernels_test.cpp.
 */
#ifndef LAMKIT_CUDA_KERNELS_H
#define LAMKIT_CUDA_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct CUstream_st* cudaStream_t;

/* ---- runtime helpers (native/cuda/runtime.cu) ---------------------------------------------
 * Thin wrappers so callers without the CUDA headers can allocate and copy. All return 0 or a
 * cudaError_t code. lam_cuda_device_count returns the count, or −code on a discovery error.  */
int lam_cuda_device_count(void);
const char* lam_cuda_error_string(int code);
int lam_cuda_malloc(void** ptr, int64_t bytes);
int lam_cuda_free(void* ptr);
int lam_cuda_memcpy_h2d(void* dst, const void* src, int64_t bytes);
int lam_cuda_memcpy_d2h(void* dst, const void* src, int64_t bytes);
int lam_cuda_memset(void* dst, int value, int64_t bytes);
int lam_cuda_sync(void);
/* cudaGetLastError (clears it). */
int lam_cuda_last_error(void);

/* ---- matmul (native/cuda/matmul.cu) ---------------------------------------------------------
 * Same contract as lam_f32_matmul. Versions (SGEMM_CUDA-style, kept selectable for bisecting):
 *   1 naive (one thread per C element), 2 shared-memory 32×32 tiles,
 *   3 register-blocked 128×128×8 tiles, 8×8 per thread, float4 loads when aligned, split-K,
 *   4 v3 with BK 16, two shared-memory stages (prefetch) and conflict-free fragment reads,
 *   0 auto (v3 for large outputs, v2 otherwise). Default: env LAMKIT_CUDA_GEMM or 0.          */
void lam_cuda_set_gemm_version(int version);
int lam_cuda_get_gemm_version(void);
int lam_cuda_f32_matmul(int ta, int tb, int64_t M, int64_t N, int64_t K,
                        const float* A, const float* B, float* C, int acc, cudaStream_t stream);

/* ---- convolution, implicit GEMM (native/cuda/conv.cu) --------------------------------------
 * Backward-input / conv_transpose2d versions: 1 generic gather, 2 one GEMM per stride phase
 * when stride > 1 and dilation 1 (default; env LAMKIT_CUDA_CONV=1 selects 1).                 */
void lam_cuda_set_conv_version(int version);
int lam_cuda_get_conv_version(void);
int lam_cuda_f32_conv2d(const float* x, const float* w, float* y,
                        int64_t N, int64_t C, int64_t H, int64_t W, int64_t OC, int64_t KH, int64_t KW,
                        int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw,
                        int64_t OH, int64_t OW, int acc, cudaStream_t stream);
int lam_cuda_f32_conv2d_backward_input(const float* dy, const float* w, float* dx,
                        int64_t N, int64_t C, int64_t H, int64_t W, int64_t OC, int64_t KH, int64_t KW,
                        int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw,
                        int64_t OH, int64_t OW, int acc, cudaStream_t stream);
int lam_cuda_f32_conv2d_backward_filter(const float* x, const float* dy, float* dwt,
                        int64_t N, int64_t C, int64_t H, int64_t W, int64_t OC, int64_t KH, int64_t KW,
                        int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw,
                        int64_t OH, int64_t OW, int acc, cudaStream_t stream);
int lam_cuda_f32_conv_transpose2d(const float* x, const float* w, float* y,
                        int64_t N, int64_t IC, int64_t H, int64_t W, int64_t OC, int64_t KH, int64_t KW,
                        int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw,
                        int64_t OH, int64_t OW, int acc, cudaStream_t stream);

/* ---- bias, activations, elementwise, memory (native/cuda/elementwise.cu) ------------------- */
int lam_cuda_f32_bias_add(const float* x, const float* b, float* y, int64_t N, int64_t C, int64_t S,
                          cudaStream_t stream);
int lam_cuda_f32_relu(const float* x, float* y, int64_t n, cudaStream_t stream);
int lam_cuda_f32_relu_backward(const float* x, const float* dy, float* dx, int64_t n, int acc,
                               cudaStream_t stream);
int lam_cuda_f32_leaky_relu(const float* x, float* y, int64_t n, float slope, cudaStream_t stream);
int lam_cuda_f32_leaky_relu_backward(const float* x, const float* dy, float* dx, int64_t n,
                                     float slope, int acc, cudaStream_t stream);
int lam_cuda_f32_gelu(const float* x, float* y, int64_t n, cudaStream_t stream);
int lam_cuda_f32_gelu_backward(const float* x, const float* dy, float* dx, int64_t n, int acc,
                               cudaStream_t stream);
int lam_cuda_f32_add(const float* a, const float* b, float* y, int64_t n, int acc, cudaStream_t stream);
int lam_cuda_f32_sub(const float* a, const float* b, float* y, int64_t n, int acc, cudaStream_t stream);
int lam_cuda_f32_mul(const float* a, const float* b, float* y, int64_t n, int acc, cudaStream_t stream);
int lam_cuda_f32_scale(const float* x, float* y, int64_t n, float alpha, int acc, cudaStream_t stream);
int lam_cuda_f32_fill(float* y, int64_t n, float value, cudaStream_t stream);
int lam_cuda_f32_copy(const float* x, float* y, int64_t n, int acc, cudaStream_t stream);
/* Executor helpers: *counter += 1 (int32, the plan's step counter), and
 * *flag |= any(!isfinite(x[0..n))) (int32 device flag read back at sync). */
int lam_cuda_i32_increment(int32_t* counter, cudaStream_t stream);
int lam_cuda_f32_check_finite(const float* x, int64_t n, int32_t* flag, int32_t tag,
                              cudaStream_t stream);

/* ---- row L2 normalisation, x [rows, len] (native/cuda/l2_normalize.cu) ----------------------- */
int lam_cuda_f32_l2_normalize(const float* x, float* y, int64_t rows, int64_t len, float eps,
                              cudaStream_t stream);
int lam_cuda_f32_l2_normalize_backward(const float* x, const float* dy, float* dx, int64_t rows,
                                       int64_t len, float eps, int acc, cudaStream_t stream);

/* ---- reductions and loss (native/cuda/reduce.cu) ------------------------------------------- */
int lam_cuda_f32_bias_grad(const float* dy, float* db, int64_t N, int64_t C, int64_t S, int acc,
                           cudaStream_t stream);
int lam_cuda_f32_sum_axis(const float* x, float* y, int64_t outer, int64_t len, int64_t inner,
                          int acc, cudaStream_t stream);
int lam_cuda_f32_mean_axis(const float* x, float* y, int64_t outer, int64_t len, int64_t inner,
                           int acc, cudaStream_t stream);
int lam_cuda_f32_mse_loss(const float* pred, const float* target, const float* mask, float* loss,
                          int64_t B, int64_t D, float denom, cudaStream_t stream);
int lam_cuda_f32_mse_grad(const float* pred, const float* target, const float* mask, float* dpred,
                          int64_t B, int64_t D, float denom, float scale, int acc,
                          cudaStream_t stream);

/* ---- concat / split along channels (native/cuda/concat.cu) --------------------------------- */
int lam_cuda_f32_concat_part(const float* part, float* whole, int64_t N, int64_t Cp, int64_t Ct,
                             int64_t c0, int64_t S, cudaStream_t stream);
int lam_cuda_f32_split_part(const float* whole, float* part, int64_t N, int64_t Cp, int64_t Ct,
                            int64_t c0, int64_t S, int acc, cudaStream_t stream);

/* ---- optimisers (native/cuda/optim.cu) ------------------------------------------------------
 * adam: the step number is `t` when t_dev is NULL, else read on the device from *t_dev (the
 * plan's step counter, so a replayed CUDA graph sees the current step). With flag non-NULL a
 * step number < 1 skips the update and sets *flag = tag (if 0); with flag NULL it counts as 1. */
int lam_cuda_f32_adam_update(float* param, const float* grad, float* m, float* v, int64_t n,
                             float lr, float beta1, float beta2, float eps, float weight_decay,
                             int decoupled, int64_t t, const int32_t* t_dev, int32_t* flag,
                             int32_t tag, cudaStream_t stream);
int lam_cuda_f32_sgd_update(float* param, const float* grad, float* buf, int64_t n,
                            float lr, float momentum, float weight_decay, cudaStream_t stream);
int lam_cuda_f32_ema_update(float* target, const float* source, int64_t n, float decay,
                            cudaStream_t stream);

/* ---- vector quantisation (native/cuda/vq.cu) ------------------------------------------------ */
int lam_cuda_f32_vq_nearest(const float* z, const float* codebook, int32_t* idx,
                            int64_t N, int64_t K, int64_t D, cudaStream_t stream);
int lam_cuda_f32_gather_rows(const float* table, const int32_t* idx, float* out, int64_t N,
                             int64_t D, cudaStream_t stream);
int lam_cuda_f32_scatter_add_rows(const float* src, const int32_t* idx, float* table,
                                  int64_t N, int64_t D, cudaStream_t stream);
/* Executor twins with the tape's extra K: an index outside [0,K) is skipped (gather writes 0)
 * and sets *flag = tag (if still 0), which the executor reports at sync. */
int lam_cuda_f32_gather_rows_checked(const float* table, const int32_t* idx, float* out, int64_t N,
                                     int64_t D, int64_t K, int32_t* flag, int32_t tag,
                                     cudaStream_t stream);
int lam_cuda_f32_scatter_add_rows_checked(const float* src, const int32_t* idx, float* table,
                                          int64_t N, int64_t D, int64_t K, int32_t* flag,
                                          int32_t tag, cudaStream_t stream);

#ifdef __cplusplus
}
#endif

#endif /* LAMKIT_CUDA_KERNELS_H */
