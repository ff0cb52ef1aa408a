/*
 * CUDA runtime wrappers for callers compiled without the CUDA headers (the ctest binaries,
 * the addon). Every function returns 0 or the cudaError_t code; lam_cuda_device_count returns
 * −code when discovery fails (no driver, driver too old, no device), which callers read as
 * "no GPU", never as a crash.
 */
#include "common.cuh"

extern "C" {

int lam_cuda_device_count(void) {
  int n = 0;
  cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    cudaGetLastError();
    return -(int)e;
  }
  return n;
}

const char* lam_cuda_error_string(int code) {
  if (code < 0) code = -code;
  return cudaGetErrorString((cudaError_t)code);
}

int lam_cuda_malloc(void** ptr, int64_t bytes) {
  *ptr = nullptr;
  return (int)cudaMalloc(ptr, (size_t)(bytes > 0 ? bytes : 1));
}
int lam_cuda_free(void* ptr) { return (int)cudaFree(ptr); }
int lam_cuda_memcpy_h2d(void* dst, const void* src, int64_t bytes) {
  return (int)cudaMemcpy(dst, src, (size_t)bytes, cudaMemcpyHostToDevice);
}
int lam_cuda_memcpy_d2h(void* dst, const void* src, int64_t bytes) {
  return (int)cudaMemcpy(dst, src, (size_t)bytes, cudaMemcpyDeviceToHost);
}
int lam_cuda_memset(void* dst, int value, int64_t bytes) {
  return (int)cudaMemset(dst, value, (size_t)bytes);
}
int lam_cuda_sync(void) { return (int)cudaDeviceSynchronize(); }
int lam_cuda_last_error(void) { return (int)cudaGetLastError(); }

}  // extern "C"
