/*
 * CUDA plan executor: runs the tape of executor.h / opcodes.h on the GPU (C ABI in
 * lamkit/cuda_executor.h). Why this shape: a LAM training step is dozens of small launches;
 * recording the step once into a CUDA graph and replaying it removes the per-launch CPU cost
 * that makes eager frameworks slow at these sizes (the llm.c argument).
 *
 *   create   validate the tape exactly like the CPU executor (opcode, word count, ints ≥ 0,
 *            finite floats except fill, conv strides/dilations ≥ 1, every pointer range inside
 *            the arena), cudaMalloc + zero the arena, two device feed buffers, pinned staging.
 *   run      step i uses buffer b = i mod 2: host copies the step's feeds into pinned[b], an
 *            async H2D on the copy stream fills dfeed[b] while step i−1 computes, the compute
 *            stream waits on that event and launches graph[b] (FEED = D2D from dfeed[b];
 *            OUTPUT = D2H into pinned out[b]; the device flag is copied out and cleared at the
 *            end of the graph). Before buffer b is reused (step i+2) the host waits for step i,
 *            copies its outputs to the caller and checks its flag.
 *   flag     int32 in device memory: 0 = fine, else 1 + the instruction number that raised it
 *            (CHECK_FINITE found NaN/Inf, gather/scatter index out of range, adam counter < 1).
 *   debug    LAMKIT_CUDA_DEBUG=1: eager, synchronise after every instruction, and name the op
 *            and operands of the first one that fails. LAMKIT_CUDA_GRAPHS=0: eager, no sync.
 * Test: native/tests/cuda_kernels_test.cpp (executor section), test/cuda/cuda-backend.test.ts.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <string>
#include <vector>

#include "common.cuh"
#include "lamkit/cuda_executor.h"
#include "lamkit/opcodes.h"

namespace {

// Operand kinds: p f32*, q f32* or −1, x i32*, i int, f float.
struct OpSig {
  const char* name;
  const char* kinds;
  const char* args;  // comma-separated operand names, for error messages
};

#define GEOMK "iiiiiiiiiiiiiiii"
#define GEOMN "N,C,H,W,OC,KH,KW,sh,sw,ph,pw,dh,dw,OH,OW,acc"

const OpSig* sig_of(int op) {
  switch (op) {
    case LAM_OP_FEED: { static const OpSig s = {"FEED", "pii", "dst,feed_offset,n"}; return &s; }
    case LAM_OP_OUTPUT: { static const OpSig s = {"OUTPUT", "pii", "src,out_offset,n"}; return &s; }
    case LAM_OP_STEP_INCREMENT: { static const OpSig s = {"STEP_INCREMENT", "x", "counter"}; return &s; }
    case LAM_OP_CHECK_FINITE: { static const OpSig s = {"CHECK_FINITE", "pii", "src,n,tag"}; return &s; }
    case LAM_OP_MATMUL: { static const OpSig s = {"matmul", "iiiiipppi", "ta,tb,M,N,K,A,B,C,acc"}; return &s; }
    case LAM_OP_CONV2D: { static const OpSig s = {"conv2d", "ppp" GEOMK, "x,w,y," GEOMN}; return &s; }
    case LAM_OP_CONV2D_BACKWARD_INPUT: { static const OpSig s = {"conv2d_backward_input", "ppp" GEOMK, "dy,w,dx," GEOMN}; return &s; }
    case LAM_OP_CONV2D_BACKWARD_FILTER: { static const OpSig s = {"conv2d_backward_filter", "ppp" GEOMK, "x,dy,dw," GEOMN}; return &s; }
    case LAM_OP_CONV_TRANSPOSE2D: { static const OpSig s = {"conv_transpose2d", "ppp" GEOMK, "x,w,y," GEOMN}; return &s; }
    case LAM_OP_BIAS_ADD: { static const OpSig s = {"bias_add", "pppiii", "x,b,y,N,C,S"}; return &s; }
    case LAM_OP_BIAS_GRAD: { static const OpSig s = {"bias_grad", "ppiiii", "dy,db,N,C,S,acc"}; return &s; }
    case LAM_OP_RELU: { static const OpSig s = {"relu", "ppi", "x,y,n"}; return &s; }
    case LAM_OP_RELU_BACKWARD: { static const OpSig s = {"relu_backward", "pppii", "x,dy,dx,n,acc"}; return &s; }
    case LAM_OP_LEAKY_RELU: { static const OpSig s = {"leaky_relu", "ppif", "x,y,n,slope"}; return &s; }
    case LAM_OP_LEAKY_RELU_BACKWARD: { static const OpSig s = {"leaky_relu_backward", "pppifi", "x,dy,dx,n,slope,acc"}; return &s; }
    case LAM_OP_GELU: { static const OpSig s = {"gelu", "ppi", "x,y,n"}; return &s; }
    case LAM_OP_GELU_BACKWARD: { static const OpSig s = {"gelu_backward", "pppii", "x,dy,dx,n,acc"}; return &s; }
    case LAM_OP_ADD: { static const OpSig s = {"add", "pppii", "a,b,y,n,acc"}; return &s; }
    case LAM_OP_SUB: { static const OpSig s = {"sub", "pppii", "a,b,y,n,acc"}; return &s; }
    case LAM_OP_MUL: { static const OpSig s = {"mul", "pppii", "a,b,y,n,acc"}; return &s; }
    case LAM_OP_SCALE: { static const OpSig s = {"scale", "ppifi", "x,y,n,alpha,acc"}; return &s; }
    case LAM_OP_SUM_AXIS: { static const OpSig s = {"sum_axis", "ppiiii", "x,y,outer,len,inner,acc"}; return &s; }
    case LAM_OP_MEAN_AXIS: { static const OpSig s = {"mean_axis", "ppiiii", "x,y,outer,len,inner,acc"}; return &s; }
    case LAM_OP_CONCAT_PART: { static const OpSig s = {"concat_part", "ppiiiii", "part,whole,N,Cp,Ct,c0,S"}; return &s; }
    case LAM_OP_SPLIT_PART: { static const OpSig s = {"split_part", "ppiiiiii", "whole,part,N,Cp,Ct,c0,S,acc"}; return &s; }
    case LAM_OP_MSE_LOSS: { static const OpSig s = {"mse_loss", "ppqpiif", "pred,target,mask,loss,B,D,denom"}; return &s; }
    case LAM_OP_MSE_GRAD: { static const OpSig s = {"mse_grad", "ppqpiiffi", "pred,target,mask,dpred,B,D,denom,scale,acc"}; return &s; }
    case LAM_OP_ADAM_UPDATE: { static const OpSig s = {"adam_update", "ppppifffffix", "param,grad,m,v,n,lr,beta1,beta2,eps,weight_decay,decoupled,t"}; return &s; }
    case LAM_OP_SGD_UPDATE: { static const OpSig s = {"sgd_update", "pppifff", "param,grad,buf,n,lr,momentum,weight_decay"}; return &s; }
    case LAM_OP_EMA_UPDATE: { static const OpSig s = {"ema_update", "ppif", "target,source,n,decay"}; return &s; }
    case LAM_OP_VQ_NEAREST: { static const OpSig s = {"vq_nearest", "ppxiii", "z,codebook,idx,N,K,D"}; return &s; }
    case LAM_OP_GATHER_ROWS: { static const OpSig s = {"gather_rows", "pxpiii", "table,idx,out,N,D,K"}; return &s; }
    case LAM_OP_SCATTER_ADD_ROWS: { static const OpSig s = {"scatter_add_rows", "pxpiii", "src,idx,table,N,D,K"}; return &s; }
    case LAM_OP_FILL: { static const OpSig s = {"fill", "pif", "y,n,value"}; return &s; }
    case LAM_OP_COPY: { static const OpSig s = {"copy", "ppii", "x,y,n,acc"}; return &s; }
    case LAM_OP_L2_NORMALIZE: { static const OpSig s = {"l2_normalize", "ppiif", "x,y,rows,len,eps"}; return &s; }
    case LAM_OP_L2_NORMALIZE_BACKWARD: { static const OpSig s = {"l2_normalize_backward", "pppiifi", "x,dy,dx,rows,len,eps,acc"}; return &s; }
    case LAM_OP_CONV2D_BIAS_ACT: { static const OpSig s = {"conv2d_bias_act", "pppp" GEOMK "f", "x,w,b,y,N,C,H,W,OC,KH,KW,sh,sw,ph,pw,dh,dw,OH,OW,act,slope"}; return &s; }
    default: return nullptr;
  }
}

// Element extent of each pointer operand (the same table as src/ops/<op>.ts `extents`).
void extents_of(int op, const int32_t* w, int64_t* e) {
  auto I = [&](int i) { return (int64_t)w[i]; };
  const int n = (int)strlen(sig_of(op)->kinds);
  for (int i = 0; i < n; ++i) e[i] = 0;
  switch (op) {
    case LAM_OP_FEED: case LAM_OP_OUTPUT: e[0] = I(2); break;
    case LAM_OP_STEP_INCREMENT: e[0] = 1; break;
    case LAM_OP_CHECK_FINITE: e[0] = I(1); break;
    case LAM_OP_MATMUL: e[5] = I(2) * I(4); e[6] = I(4) * I(3); e[7] = I(2) * I(3); break;
    case LAM_OP_CONV2D: case LAM_OP_CONV2D_BACKWARD_INPUT: case LAM_OP_CONV2D_BACKWARD_FILTER:
    case LAM_OP_CONV_TRANSPOSE2D: {
      const int64_t N = I(3), C = I(4), H = I(5), W = I(6), OC = I(7), KH = I(8), KW = I(9),
                    OH = I(16), OW = I(17);
      const int64_t xs = N * C * H * W, ws = OC * C * KH * KW, ys = N * OC * OH * OW;
      if (op == LAM_OP_CONV2D) { e[0] = xs; e[1] = ws; e[2] = ys; }
      else if (op == LAM_OP_CONV2D_BACKWARD_INPUT) { e[0] = ys; e[1] = ws; e[2] = xs; }
      else if (op == LAM_OP_CONV2D_BACKWARD_FILTER) { e[0] = xs; e[1] = ys; e[2] = ws; }
      else { e[0] = xs; e[1] = ws; e[2] = ys; }  // conv_transpose2d: C = IC, w [IC,OC,KH,KW]
      break;
    }
    case LAM_OP_CONV2D_BIAS_ACT:  // x, w, b, y, then the geometry from word 4
      e[0] = I(4) * I(5) * I(6) * I(7); e[1] = I(8) * I(5) * I(9) * I(10); e[2] = I(8);
      e[3] = I(4) * I(8) * I(17) * I(18);
      break;
    case LAM_OP_BIAS_ADD: e[0] = e[2] = I(3) * I(4) * I(5); e[1] = I(4); break;
    case LAM_OP_BIAS_GRAD: e[0] = I(2) * I(3) * I(4); e[1] = I(3); break;
    case LAM_OP_RELU: case LAM_OP_GELU: case LAM_OP_LEAKY_RELU: e[0] = e[1] = I(2); break;
    case LAM_OP_RELU_BACKWARD: case LAM_OP_GELU_BACKWARD: case LAM_OP_LEAKY_RELU_BACKWARD:
    case LAM_OP_ADD: case LAM_OP_SUB: case LAM_OP_MUL: e[0] = e[1] = e[2] = I(3); break;
    case LAM_OP_SCALE: case LAM_OP_COPY: case LAM_OP_EMA_UPDATE: e[0] = e[1] = I(2); break;
    case LAM_OP_SUM_AXIS: case LAM_OP_MEAN_AXIS: e[0] = I(2) * I(3) * I(4); e[1] = I(2) * I(4); break;
    case LAM_OP_CONCAT_PART: e[0] = I(2) * I(3) * I(6); e[1] = I(2) * I(4) * I(6); break;
    case LAM_OP_SPLIT_PART: e[0] = I(2) * I(4) * I(6); e[1] = I(2) * I(3) * I(6); break;
    case LAM_OP_MSE_LOSS: e[0] = e[1] = I(4) * I(5); e[2] = I(4); e[3] = 1; break;
    case LAM_OP_MSE_GRAD: e[0] = e[1] = e[3] = I(4) * I(5); e[2] = I(4); break;
    case LAM_OP_ADAM_UPDATE: e[0] = e[1] = e[2] = e[3] = I(4); e[11] = 1; break;
    case LAM_OP_SGD_UPDATE: e[0] = e[1] = e[2] = I(3); break;
    case LAM_OP_VQ_NEAREST: e[0] = I(3) * I(5); e[1] = I(4) * I(5); e[2] = I(3); break;
    case LAM_OP_GATHER_ROWS: e[0] = I(5) * I(4); e[1] = I(3); e[2] = I(3) * I(4); break;
    case LAM_OP_SCATTER_ADD_ROWS: e[0] = I(3) * I(4); e[1] = I(3); e[2] = I(5) * I(4); break;
    case LAM_OP_FILL: e[0] = I(1); break;
    case LAM_OP_L2_NORMALIZE: e[0] = e[1] = I(2) * I(3); break;
    case LAM_OP_L2_NORMALIZE_BACKWARD: e[0] = e[1] = e[2] = I(3) * I(4); break;
    default: break;
  }
}

struct Instr {
  int op;
  int at;  // word index of the opcode
  const int32_t* w;
};

void fmt(char* err, int64_t errlen, const char* f, ...) {
  if (!err || errlen <= 0) return;
  va_list ap;
  va_start(ap, f);
  vsnprintf(err, (size_t)errlen, f, ap);
  va_end(ap);
}

float as_float(int32_t w) {
  float f;
  memcpy(&f, &w, sizeof f);
  return f;
}

// "matmul(ta=0, tb=1, M=64, …, A@128, …)" — how an instruction appears in error messages.
std::string describe(const Instr& ins) {
  const OpSig* s = sig_of(ins.op);
  std::string out = std::string(s->name) + "(";
  const char* names = s->args;
  const int n = (int)strlen(s->kinds);
  for (int i = 0; i < n; ++i) {
    const char* comma = strchr(names, ',');
    std::string nm = comma ? std::string(names, comma - names) : std::string(names);
    names = comma ? comma + 1 : names + strlen(names);
    char buf[96];
    const char k = s->kinds[i];
    if (k == 'f') snprintf(buf, sizeof buf, "%s=%g", nm.c_str(), (double)as_float(ins.w[i]));
    else if (k == 'i') snprintf(buf, sizeof buf, "%s=%d", nm.c_str(), ins.w[i]);
    else snprintf(buf, sizeof buf, "%s@%d", nm.c_str(), ins.w[i]);
    out += (i ? ", " : "") + std::string(buf);
  }
  return out + ")";
}

bool env_is(const char* name, const char* value) {
  const char* e = getenv(name);
  return e && strcmp(e, value) == 0;
}

}  // namespace

struct lam_cuda_plan {
  std::vector<int32_t> tape;
  std::vector<Instr> instrs;
  int64_t arena_floats = 0, feed_floats = 0, out_floats = 0;
  int device = 0;
  bool debug = false, graphs = true;
  float* arena = nullptr;
  float* dfeed[2] = {nullptr, nullptr};
  float* hfeed[2] = {nullptr, nullptr};  // pinned
  float* hout[2] = {nullptr, nullptr};   // pinned
  int32_t* dflag = nullptr;
  int32_t* hflag = nullptr;  // pinned, [2]
  cudaStream_t compute = nullptr, copy = nullptr;
  cudaEvent_t fed[2] = {nullptr, nullptr}, done[2] = {nullptr, nullptr};
  cudaGraphExec_t exec[2] = {nullptr, nullptr};
};

namespace {

void release(lam_cuda_plan* p) {
  if (!p) return;
  if (p->compute) cudaStreamSynchronize(p->compute);
  if (p->copy) cudaStreamSynchronize(p->copy);
  for (int b = 0; b < 2; ++b) {
    if (p->exec[b]) cudaGraphExecDestroy(p->exec[b]);
    if (p->fed[b]) cudaEventDestroy(p->fed[b]);
    if (p->done[b]) cudaEventDestroy(p->done[b]);
    if (p->dfeed[b]) cudaFree(p->dfeed[b]);
    if (p->hfeed[b]) cudaFreeHost(p->hfeed[b]);
    if (p->hout[b]) cudaFreeHost(p->hout[b]);
  }
  if (p->dflag) cudaFree(p->dflag);
  if (p->hflag) cudaFreeHost(p->hflag);
  if (p->arena) cudaFree(p->arena);
  if (p->compute) cudaStreamDestroy(p->compute);
  if (p->copy) cudaStreamDestroy(p->copy);
  cudaGetLastError();
  delete p;
}

// Device allocation with the out-of-memory message the issue asks for.
bool dev_alloc(void** ptr, size_t bytes, const char* what, char* err, int64_t errlen) {
  cudaError_t e = cudaMalloc(ptr, bytes ? bytes : 1);
  if (e == cudaSuccess) return true;
  cudaGetLastError();
  *ptr = nullptr;
  size_t free_b = 0, total_b = 0;
  cudaMemGetInfo(&free_b, &total_b);
  cudaGetLastError();
  if (e == cudaErrorMemoryAllocation)
    fmt(err, errlen, "CUDA out of memory allocating the %s: requested %zu bytes, %zu bytes free of %zu",
        what, bytes, free_b, total_b);
  else fmt(err, errlen, "cudaMalloc of the %s (%zu bytes) failed: %s", what, bytes, cudaGetErrorString(e));
  return false;
}

bool host_alloc(void** ptr, size_t bytes, const char* what, char* err, int64_t errlen) {
  cudaError_t e = cudaMallocHost(ptr, bytes ? bytes : 4);
  if (e == cudaSuccess) return true;
  cudaGetLastError();
  *ptr = nullptr;
  fmt(err, errlen, "cudaMallocHost of the %s (%zu bytes pinned) failed: %s", what, bytes,
      cudaGetErrorString(e));
  return false;
}

// Enqueues one instruction on the compute stream. `b` selects the feed/output buffer. Returns
// the launch status (0 = accepted).
int enqueue(lam_cuda_plan* p, const Instr& ins, int index, int b) {
  const int32_t* w = ins.w;
  cudaStream_t s = p->compute;
  float* A = p->arena;
  auto P = [&](int i) { return A + w[i]; };
  auto Q = [&](int i) -> const float* { return w[i] < 0 ? nullptr : A + w[i]; };
  auto IP = [&](int i) { return reinterpret_cast<int32_t*>(A + w[i]); };
  auto I = [&](int i) { return (int64_t)w[i]; };
  auto F = [&](int i) { return as_float(w[i]); };
  const int32_t tag = index + 1;  // flag value naming this instruction
#define GEOM I(3), I(4), I(5), I(6), I(7), I(8), I(9), I(10), I(11), I(12), I(13), I(14), I(15), I(16), I(17), w[18]
  switch (ins.op) {
    case LAM_OP_FEED:
      return (int)cudaMemcpyAsync(P(0), p->dfeed[b] + w[1], sizeof(float) * (size_t)w[2],
                                  cudaMemcpyDeviceToDevice, s);
    case LAM_OP_OUTPUT:
      return (int)cudaMemcpyAsync(p->hout[b] + w[1], P(0), sizeof(float) * (size_t)w[2],
                                  cudaMemcpyDeviceToHost, s);
    case LAM_OP_STEP_INCREMENT: return lam_cuda_i32_increment(IP(0), s);
    case LAM_OP_CHECK_FINITE: return lam_cuda_f32_check_finite(P(0), I(1), p->dflag, tag, s);
    case LAM_OP_MATMUL: return lam_cuda_f32_matmul(w[0], w[1], I(2), I(3), I(4), P(5), P(6), P(7), w[8], s);
    case LAM_OP_CONV2D: return lam_cuda_f32_conv2d(P(0), P(1), P(2), GEOM, s);
    case LAM_OP_CONV2D_BACKWARD_INPUT: return lam_cuda_f32_conv2d_backward_input(P(0), P(1), P(2), GEOM, s);
    case LAM_OP_CONV2D_BACKWARD_FILTER: return lam_cuda_f32_conv2d_backward_filter(P(0), P(1), P(2), GEOM, s);
    case LAM_OP_CONV_TRANSPOSE2D: return lam_cuda_f32_conv_transpose2d(P(0), P(1), P(2), GEOM, s);
    case LAM_OP_BIAS_ADD: return lam_cuda_f32_bias_add(P(0), P(1), P(2), I(3), I(4), I(5), s);
    case LAM_OP_BIAS_GRAD: return lam_cuda_f32_bias_grad(P(0), P(1), I(2), I(3), I(4), w[5], s);
    case LAM_OP_RELU: return lam_cuda_f32_relu(P(0), P(1), I(2), s);
    case LAM_OP_RELU_BACKWARD: return lam_cuda_f32_relu_backward(P(0), P(1), P(2), I(3), w[4], s);
    case LAM_OP_LEAKY_RELU: return lam_cuda_f32_leaky_relu(P(0), P(1), I(2), F(3), s);
    case LAM_OP_LEAKY_RELU_BACKWARD: return lam_cuda_f32_leaky_relu_backward(P(0), P(1), P(2), I(3), F(4), w[5], s);
    case LAM_OP_GELU: return lam_cuda_f32_gelu(P(0), P(1), I(2), s);
    case LAM_OP_GELU_BACKWARD: return lam_cuda_f32_gelu_backward(P(0), P(1), P(2), I(3), w[4], s);
    case LAM_OP_ADD: return lam_cuda_f32_add(P(0), P(1), P(2), I(3), w[4], s);
    case LAM_OP_SUB: return lam_cuda_f32_sub(P(0), P(1), P(2), I(3), w[4], s);
    case LAM_OP_MUL: return lam_cuda_f32_mul(P(0), P(1), P(2), I(3), w[4], s);
    case LAM_OP_SCALE: return lam_cuda_f32_scale(P(0), P(1), I(2), F(3), w[4], s);
    case LAM_OP_SUM_AXIS: return lam_cuda_f32_sum_axis(P(0), P(1), I(2), I(3), I(4), w[5], s);
    case LAM_OP_MEAN_AXIS: return lam_cuda_f32_mean_axis(P(0), P(1), I(2), I(3), I(4), w[5], s);
    case LAM_OP_CONCAT_PART: return lam_cuda_f32_concat_part(P(0), P(1), I(2), I(3), I(4), I(5), I(6), s);
    case LAM_OP_SPLIT_PART: return lam_cuda_f32_split_part(P(0), P(1), I(2), I(3), I(4), I(5), I(6), w[7], s);
    case LAM_OP_MSE_LOSS: return lam_cuda_f32_mse_loss(P(0), P(1), Q(2), P(3), I(4), I(5), F(6), s);
    case LAM_OP_MSE_GRAD: return lam_cuda_f32_mse_grad(P(0), P(1), Q(2), P(3), I(4), I(5), F(6), F(7), w[8], s);
    case LAM_OP_ADAM_UPDATE:
      return lam_cuda_f32_adam_update(P(0), P(1), P(2), P(3), I(4), F(5), F(6), F(7), F(8), F(9),
                                      w[10], 0, IP(11), p->dflag, tag, s);
    case LAM_OP_SGD_UPDATE: return lam_cuda_f32_sgd_update(P(0), P(1), P(2), I(3), F(4), F(5), F(6), s);
    case LAM_OP_EMA_UPDATE: return lam_cuda_f32_ema_update(P(0), P(1), I(2), F(3), s);
    case LAM_OP_L2_NORMALIZE: return lam_cuda_f32_l2_normalize(P(0), P(1), I(2), I(3), F(4), s);
    case LAM_OP_L2_NORMALIZE_BACKWARD: return lam_cuda_f32_l2_normalize_backward(P(0), P(1), P(2), I(3), I(4), F(5), w[6], s);
    case LAM_OP_VQ_NEAREST: return lam_cuda_f32_vq_nearest(P(0), P(1), IP(2), I(3), I(4), I(5), s);
    case LAM_OP_GATHER_ROWS:
      return lam_cuda_f32_gather_rows_checked(P(0), IP(1), P(2), I(3), I(4), I(5), p->dflag, tag, s);
    case LAM_OP_SCATTER_ADD_ROWS:
      return lam_cuda_f32_scatter_add_rows_checked(P(0), IP(1), P(2), I(3), I(4), I(5), p->dflag, tag, s);
    case LAM_OP_FILL: return lam_cuda_f32_fill(P(0), I(1), F(2), s);
    case LAM_OP_COPY: return lam_cuda_f32_copy(P(0), P(1), I(2), w[3], s);
    case LAM_OP_CONV2D_BIAS_ACT: {
      // The fused op as the existing kernels in sequence: conv2d, bias_add in place, activation.
      const int64_t n = I(4) * I(8) * I(17) * I(18);
      int e = lam_cuda_f32_conv2d(P(0), P(1), P(3), I(4), I(5), I(6), I(7), I(8), I(9), I(10), I(11),
                                  I(12), I(13), I(14), I(15), I(16), I(17), I(18), 0, s);
      if (e == 0) e = lam_cuda_f32_bias_add(P(3), P(2), P(3), I(4), I(8), I(17) * I(18), s);
      if (e == 0 && w[19] == 1) e = lam_cuda_f32_relu(P(3), P(3), n, s);
      if (e == 0 && w[19] == 2) e = lam_cuda_f32_leaky_relu(P(3), P(3), n, F(20), s);
      return e;
    }
    default: return (int)cudaErrorInvalidValue;  // unreachable: create() rejected it
  }
#undef GEOM
}

// One whole step on the compute stream, ending with the flag copied out and cleared. In debug
// mode each instruction is followed by a synchronisation so a fault names its instruction.
int enqueue_step(lam_cuda_plan* p, int b, int* failed_instr, bool sync_each) {
  for (size_t i = 0; i < p->instrs.size(); ++i) {
    int e = enqueue(p, p->instrs[i], (int)i, b);
    if (e == 0 && sync_each) e = (int)cudaStreamSynchronize(p->compute);
    if (e != 0) {
      *failed_instr = (int)i;
      return e;
    }
  }
  *failed_instr = -1;
  int e = (int)cudaMemcpyAsync(p->hflag + b, p->dflag, sizeof(int32_t), cudaMemcpyDeviceToHost,
                               p->compute);
  if (e == 0) e = (int)cudaMemsetAsync(p->dflag, 0, sizeof(int32_t), p->compute);
  return e;
}

int build_graphs(lam_cuda_plan* p, char* err, int64_t errlen) {
  for (int b = 0; b < 2; ++b) {
    cudaGraph_t g = nullptr;
    cudaError_t e = cudaStreamBeginCapture(p->compute, cudaStreamCaptureModeThreadLocal);
    if (e != cudaSuccess) {
      fmt(err, errlen, "cudaStreamBeginCapture failed: %s", cudaGetErrorString(e));
      return (int)e;
    }
    int bad = -1;
    const int le = enqueue_step(p, b, &bad, false);
    e = cudaStreamEndCapture(p->compute, &g);
    if (le != 0 || e != cudaSuccess) {
      if (g) cudaGraphDestroy(g);
      cudaGetLastError();
      const int code = le ? le : (int)e;
      if (bad >= 0)
        fmt(err, errlen, "CUDA launch of %s (tape word %d) failed while recording the step: %s",
            describe(p->instrs[bad]).c_str(), p->instrs[bad].at, cudaGetErrorString((cudaError_t)code));
      else
        fmt(err, errlen, "recording the step into a CUDA graph failed: %s",
            cudaGetErrorString((cudaError_t)code));
      return code;
    }
    e = cudaGraphInstantiate(&p->exec[b], g, 0);
    cudaGraphDestroy(g);
    if (e != cudaSuccess) {
      p->exec[b] = nullptr;
      cudaGetLastError();
      fmt(err, errlen, "cudaGraphInstantiate failed: %s", cudaGetErrorString(e));
      return (int)e;
    }
  }
  return 0;
}

int flag_error(lam_cuda_plan* p, int32_t flag, int64_t step, int64_t* failed_step, char* err,
               int64_t errlen) {
  const int idx = flag - 1;
  if (failed_step) *failed_step = step;
  if (idx < 0 || idx >= (int)p->instrs.size()) {
    fmt(err, errlen, "step %lld: device flag %d set", (long long)step, flag);
    return 5;
  }
  const Instr& ins = p->instrs[idx];
  if (ins.op == LAM_OP_CHECK_FINITE) {
    fmt(err, errlen, "step %lld: non-finite value in tensor tag %d (arena offset %d, %d elements)",
        (long long)step, ins.w[2], ins.w[0], ins.w[1]);
    return 2;
  }
  if (ins.op == LAM_OP_ADAM_UPDATE) {
    fmt(err, errlen, "step %lld: adam_update step counter is < 1; a STEP_INCREMENT must run first",
        (long long)step);
    return 3;
  }
  fmt(err, errlen, "step %lld: %s has an index outside [0, %d): %s", (long long)step,
      sig_of(ins.op)->name, ins.w[5], describe(ins).c_str());
  return 4;
}

}  // namespace

extern "C" {

void lam_cuda_get_device_info(lam_cuda_device_info* info) {
  memset(info, 0, sizeof *info);
  cudaDriverGetVersion(&info->driver_version);
  cudaRuntimeGetVersion(&info->runtime_version);
  cudaGetLastError();
  int n = 0;
  cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    cudaGetLastError();
    snprintf(info->reason, sizeof info->reason, "CUDA device discovery failed: %s (%s)",
             cudaGetErrorString(e), cudaGetErrorName(e));
    return;
  }
  info->device_count = n;
  if (n == 0) {
    snprintf(info->reason, sizeof info->reason, "no CUDA device found");
    return;
  }
  int dev = 0;
  if (const char* d = getenv("LAMKIT_CUDA_DEVICE")) dev = atoi(d);
  if (dev < 0 || dev >= n) {
    snprintf(info->reason, sizeof info->reason, "LAMKIT_CUDA_DEVICE=%d but only %d device(s)", dev, n);
    return;
  }
  info->ordinal = dev;
  cudaDeviceProp prop;
  e = cudaGetDeviceProperties(&prop, dev);
  if (e != cudaSuccess) {
    cudaGetLastError();
    snprintf(info->reason, sizeof info->reason, "cudaGetDeviceProperties(%d) failed: %s", dev,
             cudaGetErrorString(e));
    return;
  }
  snprintf(info->name, sizeof info->name, "%s", prop.name);
  info->total_bytes = (int64_t)prop.totalGlobalMem;
  info->cc_major = prop.major;
  info->cc_minor = prop.minor;
  info->multiprocessors = prop.multiProcessorCount;
  info->memory_bus_bits = prop.memoryBusWidth;
  info->l2_bytes = prop.l2CacheSize;
  int v = 0;
  if (cudaDeviceGetAttribute(&v, cudaDevAttrClockRate, dev) == cudaSuccess) info->clock_khz = v;
  if (cudaDeviceGetAttribute(&v, cudaDevAttrMemoryClockRate, dev) == cudaSuccess) info->memory_clock_khz = v;
  cudaGetLastError();
  if (cudaSetDevice(dev) == cudaSuccess) {
    size_t fb = 0, tb = 0;
    if (cudaMemGetInfo(&fb, &tb) == cudaSuccess) info->free_bytes = (int64_t)fb;
  }
  e = cudaGetLastError();
  if (e != cudaSuccess) {
    snprintf(info->reason, sizeof info->reason, "creating a CUDA context on device %d failed: %s",
             dev, cudaGetErrorString(e));
    return;
  }
  info->available = 1;
}

lam_cuda_plan* lam_cuda_plan_create(const int32_t* tape, int64_t tape_words, int64_t arena_floats,
                                    char* err, int64_t errlen) {
  if (!tape && tape_words > 0) { fmt(err, errlen, "tape is NULL"); return nullptr; }
  if (tape_words < 0 || arena_floats < 0 || arena_floats > INT32_MAX) {
    fmt(err, errlen, "tape_words %lld / arena_floats %lld out of range (arena ≤ 2^31−1 floats)",
        (long long)tape_words, (long long)arena_floats);
    return nullptr;
  }
  lam_cuda_plan* p = new lam_cuda_plan();
  p->tape.assign(tape, tape + tape_words);
  p->arena_floats = arena_floats;
  // ---- validate (mirrors native/runtime/executor.cpp and src/ops/tape.ts) ----
  int64_t pc = 0;
  while (pc < tape_words) {
    const int at = (int)pc;
    if (pc + 2 > tape_words) { fmt(err, errlen, "tape: truncated instruction header at word %d", at); release(p); return nullptr; }
    const int op = p->tape[pc], nw = p->tape[pc + 1];
    const OpSig* s = sig_of(op);
    if (!s) { fmt(err, errlen, "tape word %d: unknown opcode %d", at, op); release(p); return nullptr; }
    const int want = (int)strlen(s->kinds);
    if (nw != want) { fmt(err, errlen, "tape word %d (%s): expected %d operand words, got %d", at, s->name, want, nw); release(p); return nullptr; }
    if (pc + 2 + nw > tape_words) { fmt(err, errlen, "tape word %d (%s): operands run past the end of the tape (%lld words)", at, s->name, (long long)tape_words); release(p); return nullptr; }
    const int32_t* w = p->tape.data() + pc + 2;
    for (int i = 0; i < nw; ++i) {
      if (s->kinds[i] == 'i' && w[i] < 0) { fmt(err, errlen, "tape word %d (%s): operand %d is %d, expected a non-negative integer", at, s->name, i, w[i]); release(p); return nullptr; }
      if (s->kinds[i] == 'f' && op != LAM_OP_FILL && !isfinite(as_float(w[i]))) { fmt(err, errlen, "tape word %d (%s): operand %d is %g, expected a finite float", at, s->name, i, (double)as_float(w[i])); release(p); return nullptr; }
    }
    if (op == LAM_OP_CONV2D_BIAS_ACT) {
      // The same checks one word later (b comes before y), plus the activation code.
      if (w[11] < 1 || w[12] < 1 || w[15] < 1 || w[16] < 1) { fmt(err, errlen, "tape word %d (%s): strides and dilations must be ≥ 1, got sh=%d sw=%d dh=%d dw=%d", at, s->name, w[11], w[12], w[15], w[16]); release(p); return nullptr; }
      if (w[19] > 2) { fmt(err, errlen, "tape word %d (%s): operand 19 (act) is %d, expected 0 (none), 1 (relu) or 2 (leaky_relu)", at, s->name, w[19]); release(p); return nullptr; }
    }
    if (op >= LAM_OP_CONV2D && op <= LAM_OP_CONV_TRANSPOSE2D) {
      // sh, sw, dh, dw divide or multiply indices: zero would be a device-side division by 0.
      if (w[10] < 1 || w[11] < 1 || w[14] < 1 || w[15] < 1) { fmt(err, errlen, "tape word %d (%s): strides and dilations must be ≥ 1, got sh=%d sw=%d dh=%d dw=%d", at, s->name, w[10], w[11], w[14], w[15]); release(p); return nullptr; }
    }
    int64_t ext[32];
    extents_of(op, w, ext);
    for (int i = 0; i < nw; ++i) {
      const char k = s->kinds[i];
      if (k != 'p' && k != 'q' && k != 'x') continue;
      if (k == 'q' && w[i] == -1) continue;
      if (w[i] < 0 || (int64_t)w[i] + ext[i] > arena_floats) {
        fmt(err, errlen, "tape word %d (%s): pointer operand %d covers [%d, %lld), outside the arena of %lld floats",
            at, s->name, i, w[i], (long long)w[i] + ext[i], (long long)arena_floats);
        release(p); return nullptr;
      }
    }
    if (op == LAM_OP_FEED && (int64_t)w[1] + w[2] > p->feed_floats) p->feed_floats = (int64_t)w[1] + w[2];
    if (op == LAM_OP_OUTPUT && (int64_t)w[1] + w[2] > p->out_floats) p->out_floats = (int64_t)w[1] + w[2];
    pc += 2 + nw;
  }
  pc = 0;
  while (pc < tape_words) {
    p->instrs.push_back({p->tape[pc], (int)pc, p->tape.data() + pc + 2});
    pc += 2 + p->tape[pc + 1];
  }
  // ---- device ----
  lam_cuda_device_info info;
  lam_cuda_get_device_info(&info);
  if (!info.available) { fmt(err, errlen, "%s", info.reason); release(p); return nullptr; }
  p->device = info.ordinal;
  cudaSetDevice(p->device);
  lamcuda::sm_count();  // cache before any capture
  p->debug = env_is("LAMKIT_CUDA_DEBUG", "1");
  p->graphs = !p->debug && !env_is("LAMKIT_CUDA_GRAPHS", "0");
  cudaError_t e;
  if ((e = cudaStreamCreateWithFlags(&p->compute, cudaStreamNonBlocking)) != cudaSuccess ||
      (e = cudaStreamCreateWithFlags(&p->copy, cudaStreamNonBlocking)) != cudaSuccess) {
    fmt(err, errlen, "cudaStreamCreate failed: %s", cudaGetErrorString(e));
    release(p); return nullptr;
  }
  for (int b = 0; b < 2; ++b) {
    if ((e = cudaEventCreateWithFlags(&p->fed[b], cudaEventDisableTiming)) != cudaSuccess ||
        (e = cudaEventCreateWithFlags(&p->done[b], cudaEventDisableTiming)) != cudaSuccess) {
      fmt(err, errlen, "cudaEventCreate failed: %s", cudaGetErrorString(e));
      release(p); return nullptr;
    }
  }
  if (!dev_alloc((void**)&p->arena, sizeof(float) * (size_t)arena_floats, "arena", err, errlen)) { release(p); return nullptr; }
  if (!dev_alloc((void**)&p->dflag, sizeof(int32_t), "device flag", err, errlen)) { release(p); return nullptr; }
  for (int b = 0; b < 2; ++b) {
    if (!dev_alloc((void**)&p->dfeed[b], sizeof(float) * (size_t)p->feed_floats, "feed buffer", err, errlen) ||
        !host_alloc((void**)&p->hfeed[b], sizeof(float) * (size_t)p->feed_floats, "feed staging", err, errlen) ||
        !host_alloc((void**)&p->hout[b], sizeof(float) * (size_t)p->out_floats, "output staging", err, errlen)) {
      release(p); return nullptr;
    }
  }
  if (!host_alloc((void**)&p->hflag, 2 * sizeof(int32_t), "flag staging", err, errlen)) { release(p); return nullptr; }
  p->hflag[0] = p->hflag[1] = 0;
  if ((e = cudaMemset(p->arena, 0, sizeof(float) * (size_t)arena_floats)) != cudaSuccess ||
      (e = cudaMemset(p->dflag, 0, sizeof(int32_t))) != cudaSuccess ||
      (e = cudaDeviceSynchronize()) != cudaSuccess) {
    fmt(err, errlen, "zero-filling the arena failed: %s", cudaGetErrorString(e));
    release(p); return nullptr;
  }
  return p;
}

void lam_cuda_plan_destroy(lam_cuda_plan* plan) { release(plan); }

int64_t lam_cuda_plan_arena_floats(const lam_cuda_plan* p) { return p ? p->arena_floats : 0; }
int64_t lam_cuda_plan_feed_floats(const lam_cuda_plan* p) { return p ? p->feed_floats : 0; }
int64_t lam_cuda_plan_out_floats(const lam_cuda_plan* p) { return p ? p->out_floats : 0; }
int lam_cuda_plan_uses_graphs(const lam_cuda_plan* p) { return p && p->graphs ? 1 : 0; }

int lam_cuda_plan_arena_read(lam_cuda_plan* p, int64_t offset, int64_t count, float* dst, char* err,
                             int64_t errlen) {
  if (offset < 0 || count < 0 || offset + count > p->arena_floats) {
    fmt(err, errlen, "arena read [%lld, %lld) is outside the arena of %lld floats", (long long)offset,
        (long long)(offset + count), (long long)p->arena_floats);
    return 1;
  }
  cudaSetDevice(p->device);
  cudaError_t e = cudaStreamSynchronize(p->compute);
  if (e == cudaSuccess && count > 0)
    e = cudaMemcpy(dst, p->arena + offset, sizeof(float) * (size_t)count, cudaMemcpyDeviceToHost);
  if (e != cudaSuccess) {
    cudaGetLastError();
    fmt(err, errlen, "arena read failed: %s", cudaGetErrorString(e));
    return 2;
  }
  return 0;
}

int lam_cuda_plan_arena_write(lam_cuda_plan* p, int64_t offset, int64_t count, const float* src,
                              char* err, int64_t errlen) {
  if (offset < 0 || count < 0 || offset + count > p->arena_floats) {
    fmt(err, errlen, "arena write [%lld, %lld) is outside the arena of %lld floats", (long long)offset,
        (long long)(offset + count), (long long)p->arena_floats);
    return 1;
  }
  cudaSetDevice(p->device);
  cudaError_t e = cudaStreamSynchronize(p->compute);
  if (e == cudaSuccess && count > 0)
    e = cudaMemcpy(p->arena + offset, src, sizeof(float) * (size_t)count, cudaMemcpyHostToDevice);
  if (e != cudaSuccess) {
    cudaGetLastError();
    fmt(err, errlen, "arena write failed: %s", cudaGetErrorString(e));
    return 2;
  }
  return 0;
}

int lam_cuda_plan_run(lam_cuda_plan* p, const float* feeds, int64_t feed_stride, float* outputs,
                      int64_t out_stride, int64_t steps, int64_t* failed_step, char* err,
                      int64_t errlen) {
  if (failed_step) *failed_step = -1;
  if (steps <= 0) return 0;
  if (p->feed_floats > 0 && (!feeds || feed_stride < p->feed_floats)) {
    fmt(err, errlen, "feeds: the tape reads %lld floats per step, got feed_stride %lld%s",
        (long long)p->feed_floats, (long long)feed_stride, feeds ? "" : " and no feed buffer");
    return 1;
  }
  if (p->out_floats > 0 && (!outputs || out_stride < p->out_floats)) {
    fmt(err, errlen, "outputs: the tape writes %lld floats per step, got out_stride %lld%s",
        (long long)p->out_floats, (long long)out_stride, outputs ? "" : " and no output buffer");
    return 1;
  }
  cudaSetDevice(p->device);
  if (p->graphs && !p->exec[0]) {
    const int e = build_graphs(p, err, errlen);
    if (e != 0) { if (failed_step) *failed_step = 0; return 6; }
  }
  const size_t feed_bytes = sizeof(float) * (size_t)p->feed_floats;
  const size_t out_bytes = sizeof(float) * (size_t)p->out_floats;

  // Waits for step `st` (buffer st mod 2), hands its outputs to the caller and checks its flag.
  auto harvest = [&](int64_t st) -> int {
    const int b = (int)(st & 1);
    cudaError_t e = cudaEventSynchronize(p->done[b]);
    if (e != cudaSuccess) {
      cudaGetLastError();
      if (failed_step) *failed_step = st;
      fmt(err, errlen, "step %lld: CUDA error during the step: %s (%s)%s", (long long)st,
          cudaGetErrorString(e), cudaGetErrorName(e),
          p->debug ? "" : " — rerun with LAMKIT_CUDA_DEBUG=1 to name the failing op");
      return 7;
    }
    const int32_t flag = p->hflag[b];
    if (flag != 0) return flag_error(p, flag, st, failed_step, err, errlen);
    if (out_bytes) memcpy(outputs + st * out_stride, p->hout[b], out_bytes);
    return 0;
  };

  for (int64_t st = 0; st < steps; ++st) {
    const int b = (int)(st & 1);
    if (st >= 2) {
      const int r = harvest(st - 2);
      if (r != 0) { cudaStreamSynchronize(p->compute); return r; }
    }
    if (feed_bytes) {
      memcpy(p->hfeed[b], feeds + st * feed_stride, feed_bytes);
      cudaError_t e = cudaMemcpyAsync(p->dfeed[b], p->hfeed[b], feed_bytes, cudaMemcpyHostToDevice, p->copy);
      if (e == cudaSuccess) e = cudaEventRecord(p->fed[b], p->copy);
      if (e == cudaSuccess) e = cudaStreamWaitEvent(p->compute, p->fed[b], 0);
      if (e != cudaSuccess) {
        cudaGetLastError();
        if (failed_step) *failed_step = st;
        fmt(err, errlen, "step %lld: uploading the feeds failed: %s", (long long)st, cudaGetErrorString(e));
        cudaStreamSynchronize(p->compute);
        return 8;
      }
    }
    if (p->graphs) {
      cudaError_t e = cudaGraphLaunch(p->exec[b], p->compute);
      if (e != cudaSuccess) {
        cudaGetLastError();
        if (failed_step) *failed_step = st;
        fmt(err, errlen, "step %lld: cudaGraphLaunch failed: %s", (long long)st, cudaGetErrorString(e));
        cudaStreamSynchronize(p->compute);
        return 9;
      }
    } else {
      int bad = -1;
      const int e = enqueue_step(p, b, &bad, p->debug);
      if (e != 0) {
        cudaGetLastError();
        if (failed_step) *failed_step = st;
        if (bad >= 0)
          fmt(err, errlen, "step %lld: %s (tape word %d) failed: %s", (long long)st,
              describe(p->instrs[bad]).c_str(), p->instrs[bad].at, cudaGetErrorString((cudaError_t)e));
        else
          fmt(err, errlen, "step %lld: %s", (long long)st, cudaGetErrorString((cudaError_t)e));
        cudaStreamSynchronize(p->compute);
        return 7;
      }
    }
    cudaEventRecord(p->done[b], p->compute);
  }
  for (int64_t st = steps >= 2 ? steps - 2 : 0; st < steps; ++st) {
    const int r = harvest(st);
    if (r != 0) { cudaStreamSynchronize(p->compute); return r; }
  }
  return 0;
}

}  // extern "C"
