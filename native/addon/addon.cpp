// lamkit Node-API addon entry point. Each binding file registers its own functions; the weak
// defaults below keep the module loadable while a part is absent (e.g. no CUDA in this build).
#include <napi.h>

void lamkit_register_kernels(Napi::Env env, Napi::Object exports) __attribute__((weak));
void lamkit_register_executor(Napi::Env env, Napi::Object exports) __attribute__((weak));
void lamkit_register_cuda(Napi::Env env, Napi::Object exports) __attribute__((weak));

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  if (lamkit_register_kernels) lamkit_register_kernels(env, exports);
  if (lamkit_register_executor) lamkit_register_executor(env, exports);
  if (lamkit_register_cuda) lamkit_register_cuda(env, exports);
  return exports;
}

NODE_API_MODULE(lamkit, Init)
