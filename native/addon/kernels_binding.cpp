// Node-API binding of the kernel runtime controls (kernels.h "runtime" section):
//   setThreads(n)  n ≤ 0 = default (LAMKIT_THREADS or the core count)
//   getThreads() → number
//   isaName() → "avx512" | "avx2" | "scalar" | …  (what the GEMM dispatcher picked)
//   forceIsa(name | null)  for testing the scalar twins; null = auto
//   info() → { isa, threads, hardwareThreads, cuda: boolean (compiled in), compiler, napiVersion }
// Kernels themselves are reached only through the plan executor (executor_binding.cpp).
#include <lamkit/kernels.h>
#include <napi.h>

#include <string>
#include <thread>

namespace {

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "setThreads: n must be a number");
  const double n = info[0].As<Napi::Number>().DoubleValue();
  if (n != (double)(int)n || n > 1024) throw Napi::RangeError::New(info.Env(), "setThreads: n must be an integer ≤ 1024, got " + std::to_string(n));
  lam_set_num_threads((int)n);
  return info.Env().Undefined();
}

Napi::Value GetThreads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), lam_get_num_threads()); }

Napi::Value IsaName(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), lam_isa_name()); }

Napi::Value ForceIsa(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || info[0].IsNull() || info[0].IsUndefined()) {
    lam_force_isa(nullptr);
    return info.Env().Undefined();
  }
  if (!info[0].IsString()) throw Napi::TypeError::New(info.Env(), "forceIsa: expected 'avx512' | 'avx2' | 'scalar' or null");
  const std::string s = info[0].As<Napi::String>().Utf8Value();
  if (s != "avx512" && s != "avx2" && s != "scalar")
    throw Napi::RangeError::New(info.Env(), "forceIsa: expected 'avx512' | 'avx2' | 'scalar' or null, got '" + s + "'");
  lam_force_isa(s.c_str());
  return info.Env().Undefined();
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("isa", lam_isa_name());
  o.Set("threads", lam_get_num_threads());
  o.Set("hardwareThreads", (double)std::thread::hardware_concurrency());
#ifdef LAMKIT_HAVE_CUDA
  o.Set("cuda", true);
#else
  o.Set("cuda", false);
#endif
#if defined(__clang__)
  o.Set("compiler", std::string("clang ") + __clang_version__);
#elif defined(__GNUC__)
  o.Set("compiler", std::string("gcc ") + __VERSION__);
#else
  o.Set("compiler", "unknown");
#endif
  o.Set("napiVersion", NAPI_VERSION);
  return o;
}

}  // namespace

void lamkit_register_kernels(Napi::Env env, Napi::Object exports) {
  exports.Set("setThreads", Napi::Function::New(env, SetThreads, "setThreads"));
  exports.Set("getThreads", Napi::Function::New(env, GetThreads, "getThreads"));
  exports.Set("isaName", Napi::Function::New(env, IsaName, "isaName"));
  exports.Set("forceIsa", Napi::Function::New(env, ForceIsa, "forceIsa"));
  exports.Set("info", Napi::Function::New(env, Info, "info"));
}
