// Lock around wasi-libc's allocator for the shared-memory (threaded) wasm variants.
// Why: the sysroot's libc is the single-threaded build, but kernels allocate from worker
// threads (per-thread GEMM pack buffers). wasm/build.mjs links with --wrap=malloc,… so every
// call lands here and takes one spinlock (allocation is rare: buffers are kept and reused).
#include <stddef.h>
#include <stdint.h>

#include "wasm_export.h"

extern "C" {
void* __real_malloc(size_t);
void __real_free(void*);
void* __real_calloc(size_t, size_t);
void* __real_realloc(void*, size_t);
void* __real_aligned_alloc(size_t, size_t);
int __real_posix_memalign(void**, size_t, size_t);
}

namespace {
int32_t g_lock = 0;
struct Guard {
  Guard() {
    while (__atomic_exchange_n(&g_lock, 1, __ATOMIC_ACQUIRE) != 0) {
    }
  }
  ~Guard() { __atomic_store_n(&g_lock, 0, __ATOMIC_RELEASE); }
};
}  // namespace

extern "C" {
void* __wrap_malloc(size_t n) {
  Guard g;
  return __real_malloc(n);
}
void __wrap_free(void* p) {
  Guard g;
  __real_free(p);
}
void* __wrap_calloc(size_t n, size_t s) {
  Guard g;
  return __real_calloc(n, s);
}
void* __wrap_realloc(void* p, size_t n) {
  Guard g;
  return __real_realloc(p, n);
}
void* __wrap_aligned_alloc(size_t a, size_t n) {
  Guard g;
  return __real_aligned_alloc(a, n);
}
int __wrap_posix_memalign(void** p, size_t a, size_t n) {
  Guard g;
  return __real_posix_memalign(p, a, n);
}
}
