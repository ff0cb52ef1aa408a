// A tiny host emulator of the CUDA runtime subset lamkit's kernels use — NOT a CUDA
// implementation. It exists so the kernel *logic* (tile loaders, index maps, reductions,
// pipelining, the executor's graph/double-buffer flow) can be checked against the CPU kernels
// on a machine without a GPU: scripts/cuda-emulate-test.sh rewrites `k<<<g, b, sm, s>>>(args)`
// into EMU_LAUNCH and compiles native/cuda/*.cu + native/tests/cuda_kernels_test.cpp with g++.
// Each block runs as blockDim host threads with std::barrier for __syncthreads and a per-warp
// barrier for shuffles; blocks run one after another, so `__shared__` = function-local static.
// It says nothing about performance, occupancy, memory-model races or compiler behaviour.
#pragma once
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <condition_variable>
#include <mutex>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))
#define __shared__ static

using std::max;
using std::min;

struct dim3 {
  unsigned x, y, z;
  dim3(unsigned a = 1, unsigned b = 1, unsigned c = 1) : x(a), y(b), z(c) {}
};
struct float4 { float x, y, z, w; };
inline float4 make_float4(float a, float b, float c, float d) { return {a, b, c, d}; }

namespace emu {
inline thread_local dim3 tIdx, bIdx;
inline dim3 bDim, gDim;
inline std::barrier<>* block_bar = nullptr;
inline std::vector<std::unique_ptr<std::barrier<>>> warp_bars;
inline std::vector<uint64_t> warp_buf;
inline std::atomic<int> or_flag{0};
inline bool capturing = false;
inline std::vector<std::function<void()>>* capture_list = nullptr;
inline int tid() { return (int)(tIdx.x + bDim.x * (tIdx.y + bDim.y * tIdx.z)); }

// Persistent workers (thread creation per block would dominate): worker i plays thread i of
// the current block; run() returns when all of the block's threads have finished.
struct Pool {
  std::vector<std::thread> th;
  std::mutex mu;
  std::condition_variable cv, done;
  uint64_t gen = 0;
  int active = 0, remaining = 0;
  std::function<void(int)> job;
  void ensure(int n) {
    while ((int)th.size() < n) {
      const int id = (int)th.size();
      th.emplace_back([this, id] {
        uint64_t seen = 0;
        for (;;) {
          std::unique_lock<std::mutex> l(mu);
          cv.wait(l, [&] { return gen != seen; });
          seen = gen;
          if (id >= active) continue;
          auto j = job;
          l.unlock();
          j(id);
          l.lock();
          if (--remaining == 0) done.notify_all();
        }
      });
      th.back().detach();
    }
  }
  void run(int n, std::function<void(int)> f) {
    ensure(n);
    std::unique_lock<std::mutex> l(mu);
    job = std::move(f);
    active = n;
    remaining = n;
    ++gen;
    cv.notify_all();
    done.wait(l, [&] { return remaining == 0; });
  }
};
inline Pool& pool = *new Pool;  // never destroyed: workers still wait on it at exit

inline void run_grid(dim3 grid, dim3 block, const std::function<void()>& body) {
  const int nt = (int)(block.x * block.y * block.z);
  gDim = grid;
  bDim = block;
  for (unsigned bz = 0; bz < grid.z; ++bz)
    for (unsigned by = 0; by < grid.y; ++by)
      for (unsigned bx = 0; bx < grid.x; ++bx) {
        std::barrier<> bar(nt);
        block_bar = &bar;
        warp_bars.clear();
        for (int w = 0; w < (nt + 31) / 32; ++w) warp_bars.emplace_back(new std::barrier<>(std::min(32, nt - 32 * w)));
        warp_buf.assign((size_t)nt, 0);
        pool.run(nt, [&, bx, by, bz](int t) {
          tIdx = dim3(t % block.x, (t / block.x) % block.y, t / (block.x * block.y));
          bIdx = dim3(bx, by, bz);
          body();
          // an exited thread no longer takes part in barriers (as on the GPU)
          warp_bars[(size_t)(t / 32)]->arrive_and_drop();
          bar.arrive_and_drop();
        });
      }
}
inline void submit(std::function<void()> f) {
  if (capturing) capture_list->push_back(std::move(f));
  else f();
}
}  // namespace emu

#define threadIdx (emu::tIdx)
#define blockIdx (emu::bIdx)
#define blockDim (emu::bDim)
#define gridDim (emu::gDim)
#define EMU_LAUNCH(kernel, grid, block, ...)                                     \
  do {                                                                           \
    dim3 g_ = (grid), b_ = (block);                                              \
    emu::submit([=] { emu::run_grid(g_, b_, [=] { kernel(__VA_ARGS__); }); }); \
  } while (0)

inline void __syncthreads() { emu::block_bar->arrive_and_wait(); }
inline int __syncthreads_or(int p) {
  __syncthreads();
  if (p) emu::or_flag = 1;
  __syncthreads();
  const int r = emu::or_flag.load();
  __syncthreads();
  if (emu::tid() == 0) emu::or_flag = 0;
  __syncthreads();
  return r;
}
template <typename T>
T __shfl_down_sync(unsigned, T v, int o) {
  const int t = emu::tid(), lane = t & 31;
  uint64_t bits = 0;
  memcpy(&bits, &v, sizeof(T));
  emu::warp_buf[(size_t)t] = bits;
  emu::warp_bars[(size_t)(t / 32)]->arrive_and_wait();
  T r = v;
  if (lane + o < 32 && t + o < (int)emu::warp_buf.size()) memcpy(&r, &emu::warp_buf[(size_t)(t + o)], sizeof(T));
  emu::warp_bars[(size_t)(t / 32)]->arrive_and_wait();
  return r;
}
inline float atomicAdd(float* p, float v) { return std::atomic_ref<float>(*p).fetch_add(v); }
inline int atomicCAS(int* p, int cmp, int val) {
  std::atomic_ref<int>(*p).compare_exchange_strong(cmp, val);
  return cmp;
}

// ---- runtime API subset ----
enum cudaError_t {
  cudaSuccess = 0, cudaErrorInvalidValue = 1, cudaErrorMemoryAllocation = 2,
  cudaErrorInvalidConfiguration = 9, cudaErrorInsufficientDriver = 35
};
typedef struct CUstream_st* cudaStream_t;
typedef struct CUevent_st* cudaEvent_t;
typedef struct CUgraph_st* cudaGraph_t;
typedef struct CUgraphExec_st* cudaGraphExec_t;
enum cudaMemcpyKind { cudaMemcpyHostToDevice, cudaMemcpyDeviceToHost, cudaMemcpyDeviceToDevice };
enum cudaStreamCaptureMode { cudaStreamCaptureModeThreadLocal };
enum cudaDeviceAttr { cudaDevAttrMultiProcessorCount, cudaDevAttrClockRate, cudaDevAttrMemoryClockRate };
#define cudaStreamNonBlocking 1
#define cudaEventDisableTiming 2
struct cudaDeviceProp {
  char name[256];
  size_t totalGlobalMem;
  int major, minor, multiProcessorCount, memoryBusWidth, l2CacheSize;
};
inline const char* cudaGetErrorString(cudaError_t e) { return e == cudaSuccess ? "no error" : "emulated CUDA error"; }
inline const char* cudaGetErrorName(cudaError_t e) { return e == cudaSuccess ? "cudaSuccess" : "cudaErrorEmulated"; }
inline cudaError_t cudaGetLastError() { return cudaSuccess; }
inline cudaError_t cudaGetDeviceCount(int* n) { *n = 1; return cudaSuccess; }
inline cudaError_t cudaGetDevice(int* d) { *d = 0; return cudaSuccess; }
inline cudaError_t cudaSetDevice(int) { return cudaSuccess; }
inline cudaError_t cudaDriverGetVersion(int* v) { *v = 13000; return cudaSuccess; }
inline cudaError_t cudaRuntimeGetVersion(int* v) { *v = 13000; return cudaSuccess; }
inline cudaError_t cudaDeviceGetAttribute(int* v, cudaDeviceAttr a, int) {
  *v = a == cudaDevAttrMultiProcessorCount ? 4 : 1000000;  // few SMs: split-K paths get used
  return cudaSuccess;
}
inline cudaError_t cudaGetDeviceProperties(cudaDeviceProp* p, int) {
  memset(p, 0, sizeof *p);
  strcpy(p->name, "lamkit host emulator");
  p->totalGlobalMem = (size_t)1 << 32;
  p->major = 9; p->minor = 0; p->multiProcessorCount = 4;
  return cudaSuccess;
}
inline cudaError_t cudaMemGetInfo(size_t* f, size_t* t) { *f = *t = (size_t)1 << 32; return cudaSuccess; }
inline cudaError_t cudaMalloc(void* p, size_t n) { *(void**)p = malloc(n); return *(void**)p ? cudaSuccess : cudaErrorMemoryAllocation; }
template <typename T> cudaError_t cudaMalloc(T** p, size_t n) { return cudaMalloc((void*)p, n); }
inline cudaError_t cudaMallocHost(void* p, size_t n) { return cudaMalloc(p, n); }
template <typename T> cudaError_t cudaMallocHost(T** p, size_t n) { return cudaMalloc((void*)p, n); }
inline cudaError_t cudaFree(void* p) { free(p); return cudaSuccess; }
inline cudaError_t cudaFreeHost(void* p) { free(p); return cudaSuccess; }
inline cudaError_t cudaMemcpy(void* d, const void* s, size_t n, cudaMemcpyKind) { memcpy(d, s, n); return cudaSuccess; }
inline cudaError_t cudaMemset(void* d, int v, size_t n) { memset(d, v, n); return cudaSuccess; }
inline cudaError_t cudaMemcpyAsync(void* d, const void* s, size_t n, cudaMemcpyKind, cudaStream_t = nullptr) {
  emu::submit([=] { memcpy(d, s, n); });
  return cudaSuccess;
}
inline cudaError_t cudaMemsetAsync(void* d, int v, size_t n, cudaStream_t = nullptr) {
  emu::submit([=] { memset(d, v, n); });
  return cudaSuccess;
}
inline cudaError_t cudaDeviceSynchronize() { return cudaSuccess; }
inline cudaError_t cudaStreamCreateWithFlags(cudaStream_t* s, unsigned) { *s = (cudaStream_t)new char; return cudaSuccess; }
inline cudaError_t cudaStreamDestroy(cudaStream_t s) { delete (char*)s; return cudaSuccess; }
inline cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }
inline cudaError_t cudaEventCreateWithFlags(cudaEvent_t* e, unsigned) { *e = (cudaEvent_t)new char; return cudaSuccess; }
inline cudaError_t cudaEventDestroy(cudaEvent_t e) { delete (char*)e; return cudaSuccess; }
inline cudaError_t cudaEventRecord(cudaEvent_t, cudaStream_t = nullptr) { return cudaSuccess; }
inline cudaError_t cudaEventSynchronize(cudaEvent_t) { return cudaSuccess; }
inline cudaError_t cudaStreamWaitEvent(cudaStream_t, cudaEvent_t, unsigned) { return cudaSuccess; }
// Graphs: capture records the submitted work; an exec replays it.
struct CUgraph_st { std::vector<std::function<void()>> ops; };
struct CUgraphExec_st { std::vector<std::function<void()>> ops; };
inline cudaError_t cudaStreamBeginCapture(cudaStream_t, cudaStreamCaptureMode) {
  emu::capturing = true;
  emu::capture_list = new std::vector<std::function<void()>>();
  return cudaSuccess;
}
inline cudaError_t cudaStreamEndCapture(cudaStream_t, cudaGraph_t* g) {
  emu::capturing = false;
  *g = new CUgraph_st{std::move(*emu::capture_list)};
  delete emu::capture_list;
  emu::capture_list = nullptr;
  return cudaSuccess;
}
inline cudaError_t cudaGraphInstantiate(cudaGraphExec_t* e, cudaGraph_t g, unsigned long long) {
  *e = new CUgraphExec_st{g->ops};
  return cudaSuccess;
}
inline cudaError_t cudaGraphDestroy(cudaGraph_t g) { delete g; return cudaSuccess; }
inline cudaError_t cudaGraphExecDestroy(cudaGraphExec_t e) { delete e; return cudaSuccess; }
inline cudaError_t cudaGraphLaunch(cudaGraphExec_t e, cudaStream_t) {
  for (auto& f : e->ops) f();
  return cudaSuccess;
}
