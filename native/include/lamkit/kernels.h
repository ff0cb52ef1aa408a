/*
 * lamkit kernel C ABI — shared by the native addon, the plan executor, the WASM build and the
 * C++ tests. Kernels take plain pointers and integers only: every shape check lives once in
 * src/ops (TypeScript). All tensors are float32, contiguous, row-major, NCHW.
 *
 * `acc` selects the output mode: 0 = overwrite (`=`), 1 = accumulate (`+=`). Kernels must not
 * read an `=` output before writing it (tests poison it with NaN).
 *
 * Each op id (snake_case) names the src/ops contract, the reference kernel in
 * src/backends/reference/<op>.ts, the native kernel in native/kernels/<op>.cpp, the test
 * test/kernels/<op>.test.ts and the benchmark entry. Sizes are int64_t.
 */
#ifndef LAMKIT_KERNELS_H
#define LAMKIT_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- runtime --------------------------------------------------------------------------- */
/* Thread pool used by every kernel. n <= 0 means "number of cores" (or LAMKIT_THREADS). */
void lam_set_num_threads(int n);
int lam_get_num_threads(void);
/* ISA the GEMM dispatcher picked at run time: "avx512", "avx2", "wasm-simd128", "scalar". */
const char* lam_isa_name(void);
/* Force a lower ISA for testing the twins: "avx512" | "avx2" | "scalar" (NULL = auto). */
void lam_force_isa(const char* isa);

/* ---- matmul ------------------------------------------------------------------------------
 * C[M,N] (= | +=) op(A)[M,K] · op(B)[K,N]; op(A) = A (stored M×K) or Aᵀ (stored K×M, ta=1);
 * op(B) = B (stored K×N) or Bᵀ (stored N×K, tb=1). FLOPs 2MNK.                              */
void lam_f32_matmul(int ta, int tb, int64_t M, int64_t N, int64_t K,
                    const float* A, const float* B, float* C, int acc);
/* Two products of the same op(A), side by side (the executor fuses two MATMULs that read the
 * same A into one; docs/ARCHITECTURE.md "Executor rewrites"): C1[M,N1] (=|+= acc1) op(A)·op(B1)
 * and C2[M,N2] (=|+= acc2) op(A)·op(B2), each B and C laid out as for lam_f32_matmul. Each A
 * block is packed once for both. The k blocking follows the combined M×(N1+N2) product, so C2
 * may differ from lam_f32_matmul's in the last bits. N1 must be a multiple of 32 (else: two
 * lam_f32_matmul calls).                                                                    */
void lam_f32_matmul_shared_a(int ta, int64_t M, int64_t K, const float* A, int tb1, int64_t N1,
                             const float* B1, float* C1, int acc1, int tb2, int64_t N2,
                             const float* B2, float* C2, int acc2);

/* ---- convolution (groups = 1) ------------------------------------------------------------
 * x [N,C,H,W], w [OC,C,KH,KW], y [N,OC,OH,OW],
 * OH = (H + 2ph − dh(KH−1) − 1)/sh + 1, OW likewise.                                        */
void lam_f32_conv2d(const float* x, const float* w, float* y,
                    int64_t N, int64_t C, int64_t H, int64_t W, int64_t OC, int64_t KH, int64_t KW,
                    int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw,
                    int64_t OH, int64_t OW, int acc);
/* y = act(conv2d(x, w) + b[oc]), `=` only: the fused conv2d → bias_add → activation.
 * b [OC]; act 0 = none, 1 = relu, 2 = leaky_relu (negative slope `slope`); same geometry.   */
void lam_f32_conv2d_bias_act(const float* x, const float* w, const float* b, float* y,
                             int64_t N, int64_t C, int64_t H, int64_t W, int64_t OC, int64_t KH,
                             int64_t KW, int64_t sh, int64_t sw, int64_t ph, int64_t pw,
                             int64_t dh, int64_t dw, int64_t OH, int64_t OW, int act, float slope);
/* dx [N,C,H,W] (=|+=) conv2dᵀ(dy [N,OC,OH,OW], w [OC,C,KH,KW]). Same geometry arguments. */
void lam_f32_conv2d_backward_input(const float* dy, const float* w, float* dx,
                    int64_t N, int64_t C, int64_t H, int64_t W, int64_t OC, int64_t KH, int64_t KW,
                    int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw,
                    int64_t OH, int64_t OW, int acc);
/* dweight [OC,C,KH,KW] (=|+=) Σ_n dy ⋆ x. Same geometry arguments (dw here is the dilation;
 * the gradient is named dweight so the prototype is valid C++). */
void lam_f32_conv2d_backward_filter(const float* x, const float* dy, float* dweight,
                    int64_t N, int64_t C, int64_t H, int64_t W, int64_t OC, int64_t KH, int64_t KW,
                    int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw,
                    int64_t OH, int64_t OW, int acc);
/* conv_transpose2d forward: x [N,IC,H,W], w [IC,OC,KH,KW] (PyTorch layout) → y [N,OC,OH,OW],
 * OH = (H−1)sh − 2ph + dh(KH−1) + oph + 1. It is conv2d_backward_input with the roles of
 * (C,OC) swapped; its backward is conv2d (dx) and conv2d_backward_filter (dw).               */
void lam_f32_conv_transpose2d(const float* x, const float* w, float* y,
                    int64_t N, int64_t IC, int64_t H, int64_t W, int64_t OC, int64_t KH, int64_t KW,
                    int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw,
                    int64_t OH, int64_t OW, int acc);

/* ---- bias -------------------------------------------------------------------------------
 * y [N,C,S] = x + b[c] (x may alias y). bias_grad: db[C] (=|+=) Σ_{n,s} dy[n,c,s].           */
void lam_f32_bias_add(const float* x, const float* b, float* y, int64_t N, int64_t C, int64_t S);
void lam_f32_bias_grad(const float* dy, float* db, int64_t N, int64_t C, int64_t S, int acc);

/* ---- activations (n elements) -------------------------------------------------------------
 * y = f(x) (x may alias y); dx (=|+=) f'(x)·dy. gelu is the exact erf form (PyTorch default). */
void lam_f32_relu(const float* x, float* y, int64_t n);
void lam_f32_relu_backward(const float* x, const float* dy, float* dx, int64_t n, int acc);
void lam_f32_leaky_relu(const float* x, float* y, int64_t n, float slope);
void lam_f32_leaky_relu_backward(const float* x, const float* dy, float* dx, int64_t n,
                                 float slope, int acc);
void lam_f32_gelu(const float* x, float* y, int64_t n);
void lam_f32_gelu_backward(const float* x, const float* dy, float* dx, int64_t n, int acc);

/* ---- elementwise (n elements; output may alias an input) -------------------------------- */
void lam_f32_add(const float* a, const float* b, float* y, int64_t n, int acc);
void lam_f32_sub(const float* a, const float* b, float* y, int64_t n, int acc);
void lam_f32_mul(const float* a, const float* b, float* y, int64_t n, int acc);
/* y (=|+=) alpha·x */
void lam_f32_scale(const float* x, float* y, int64_t n, float alpha, int acc);

/* ---- reductions: x viewed as [outer, len, inner]; y [outer, inner] ---------------------- */
void lam_f32_sum_axis(const float* x, float* y, int64_t outer, int64_t len, int64_t inner, int acc);
void lam_f32_mean_axis(const float* x, float* y, int64_t outer, int64_t len, int64_t inner, int acc);

/* ---- row L2 normalisation: x viewed as [rows, len] ---------------------------------------
 * y = x / sqrt(Σ_l x² + eps) per row (x may alias y); the backward recomputes the norm from x:
 * dx (=|+=) (dy − y·Σ_l y·dy) / sqrt(Σ_l x² + eps).                                          */
void lam_f32_l2_normalize(const float* x, float* y, int64_t rows, int64_t len, float eps);
void lam_f32_l2_normalize_backward(const float* x, const float* dy, float* dx, int64_t rows,
                                   int64_t len, float eps, int acc);

/* ---- concat / split along channels ------------------------------------------------------
 * Copies part [N, Cp, S] into / out of whole [N, Ct, S] at channel offset c0.
 * concat: whole[:, c0:c0+Cp] = part. split: part (=|+=) whole[:, c0:c0+Cp].                  */
void lam_f32_concat_part(const float* part, float* whole, int64_t N, int64_t Cp, int64_t Ct,
                         int64_t c0, int64_t S);
void lam_f32_split_part(const float* whole, float* part, int64_t N, int64_t Cp, int64_t Ct,
                        int64_t c0, int64_t S, int acc);

/* ---- loss -------------------------------------------------------------------------------
 * pred, target [B, D]; mask [B] or NULL (NULL = every row counts). Rows with mask 0 are
 * ignored; the denominator is `denom` (the caller states the normalisation: B, or the number
 * of labelled rows). loss[0] = Σ_b mask_b Σ_d (p−t)² / denom.
 * mse_grad: dpred (=|+=) scale · 2 (p−t) mask_b / denom.                                    */
void lam_f32_mse_loss(const float* pred, const float* target, const float* mask, float* loss,
                      int64_t B, int64_t D, float denom);
void lam_f32_mse_grad(const float* pred, const float* target, const float* mask, float* dpred,
                      int64_t B, int64_t D, float denom, float scale, int acc);
/* Both in one pass over pred and target; the same bits as mse_loss then mse_grad. */
void lam_f32_mse_loss_grad(const float* pred, const float* target, const float* mask, float* loss,
                           float* dpred, int64_t B, int64_t D, float denom, float scale, int acc);

/* ---- optimisers (in place on param and state; n elements) --------------------------------
 * adam: t = step number ≥ 1 (bias correction). weight_decay with decoupled=1 is AdamW
 * (p −= lr·wd·p before the Adam step), decoupled=0 adds wd·p to the gradient (Adam + L2).     */
void lam_f32_adam_update(float* param, const float* grad, float* m, float* v, int64_t n,
                         float lr, float beta1, float beta2, float eps, float weight_decay,
                         int decoupled, int64_t t);
/* SGD with momentum (PyTorch semantics, dampening 0): buf = μ·buf + g; p −= lr·buf. */
void lam_f32_sgd_update(float* param, const float* grad, float* buf, int64_t n,
                        float lr, float momentum, float weight_decay);
/* EMA target: target = decay·target + (1−decay)·source. */
void lam_f32_ema_update(float* target, const float* source, int64_t n, float decay);

/* ---- vector quantisation ----------------------------------------------------------------
 * z [N,D], codebook [K,D] → idx [N] (int32) = argmin_k ‖z_n − c_k‖² (lowest k on ties).
 * gather_rows: out[n,:] = table[idx[n],:]. scatter_add_rows: table[idx[n],:] += src[n,:]
 * (the gradient of gather_rows; also the EMA codebook's per-code sums).                     */
void lam_f32_vq_nearest(const float* z, const float* codebook, int32_t* idx,
                        int64_t N, int64_t K, int64_t D);
void lam_f32_gather_rows(const float* table, const int32_t* idx, float* out, int64_t N, int64_t D);
void lam_f32_scatter_add_rows(const float* src, const int32_t* idx, float* table,
                              int64_t N, int64_t D);

/* ---- memory ------------------------------------------------------------------------------ */
void lam_f32_fill(float* y, int64_t n, float value);
void lam_f32_copy(const float* x, float* y, int64_t n, int acc);

#ifdef __cplusplus
}
#endif

#endif /* LAMKIT_KERNELS_H */
