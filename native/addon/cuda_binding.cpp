// Node-API binding of the CUDA executor (lamkit/cuda_executor.h). Always exports
//   cudaInfo() → { available: true, name, totalBytes, freeBytes, computeCapability, … }
//              | { available: false, reason }
// and, only when the addon was linked with lamkit_cuda (CMake defines LAMKIT_HAVE_CUDA),
//   new CudaPlan(tape: Int32Array, arenaFloats) · .run(feeds|null, feedStride, outputs|null,
//   outStride, steps) · .readArena(offset, length) · .writeArena(offset, data) · .dispose()
//   · .arenaFloats · .feedFloats · .outFloats · .usesGraphs
//   cudaSetGemmVersion(v: 0..3), cudaGetGemmVersion()
// Every argument is checked here before native code runs (TypeError / RangeError naming it);
// run errors carry .step and .code like the CPU Plan. Consumer: src/backends/cuda.ts.
#include <napi.h>

#include <string.h>

#include <string>

#ifdef LAMKIT_HAVE_CUDA
#include <lamkit/cuda_executor.h>
#include <lamkit/cuda_kernels.h>
#endif

namespace {

#ifdef LAMKIT_HAVE_CUDA

int64_t int_arg(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t lo, int64_t hi) {
  if (info.Length() <= i || !info[i].IsNumber())
    throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a number");
  const double v = info[i].As<Napi::Number>().DoubleValue();
  if (!(v >= (double)lo) || !(v <= (double)hi) || v != (double)(int64_t)v)
    throw Napi::RangeError::New(info.Env(), std::string(name) + " must be an integer in [" + std::to_string(lo) +
                                                ", " + std::to_string(hi) + "], got " + std::to_string(v));
  return (int64_t)v;
}

Napi::Float32Array f32_arg(const Napi::CallbackInfo& info, size_t i, const char* name, bool nullable) {
  if (nullable && (info.Length() <= i || info[i].IsNull() || info[i].IsUndefined())) return Napi::Float32Array();
  if (info.Length() <= i || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a Float32Array");
  return info[i].As<Napi::Float32Array>();
}

class CudaPlan : public Napi::ObjectWrap<CudaPlan> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "CudaPlan",
                       {InstanceAccessor<&CudaPlan::ArenaFloats>("arenaFloats"),
                        InstanceAccessor<&CudaPlan::FeedFloats>("feedFloats"),
                        InstanceAccessor<&CudaPlan::OutFloats>("outFloats"),
                        InstanceAccessor<&CudaPlan::UsesGraphs>("usesGraphs"),
                        InstanceMethod<&CudaPlan::ReadArena>("readArena"),
                        InstanceMethod<&CudaPlan::WriteArena>("writeArena"),
                        InstanceMethod<&CudaPlan::Run>("run"),
                        InstanceMethod<&CudaPlan::Dispose>("dispose")});
  }

  explicit CudaPlan(const Napi::CallbackInfo& info) : Napi::ObjectWrap<CudaPlan>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsTypedArray() ||
        info[0].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
      throw Napi::TypeError::New(env, "CudaPlan: tape must be an Int32Array");
    const int64_t arena = int_arg(info, 1, "CudaPlan: arenaFloats", 1, 2147483647);
    Napi::Int32Array tape = info[0].As<Napi::Int32Array>();
    char err[1024] = {0};
    plan_ = lam_cuda_plan_create(tape.Data(), (int64_t)tape.ElementLength(), arena, err, sizeof err);
    if (!plan_) throw Napi::Error::New(env, std::string("CudaPlan: ") + err);
  }
  ~CudaPlan() override { lam_cuda_plan_destroy(plan_); }

 private:
  lam_cuda_plan* plan_ = nullptr;

  lam_cuda_plan* live(Napi::Env env) {
    if (!plan_) throw Napi::Error::New(env, "CudaPlan: used after dispose()");
    return plan_;
  }

  Napi::Value ArenaFloats(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), (double)lam_cuda_plan_arena_floats(live(info.Env())));
  }
  Napi::Value FeedFloats(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), (double)lam_cuda_plan_feed_floats(live(info.Env())));
  }
  Napi::Value OutFloats(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), (double)lam_cuda_plan_out_floats(live(info.Env())));
  }
  Napi::Value UsesGraphs(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), lam_cuda_plan_uses_graphs(live(info.Env())) != 0);
  }

  Napi::Value ReadArena(const Napi::CallbackInfo& info) {
    lam_cuda_plan* p = live(info.Env());
    const int64_t n = lam_cuda_plan_arena_floats(p);
    const int64_t off = int_arg(info, 0, "readArena: offset", 0, n);
    const int64_t len = int_arg(info, 1, "readArena: length", 0, n - off);
    Napi::Float32Array out = Napi::Float32Array::New(info.Env(), (size_t)len);
    char err[512] = {0};
    if (lam_cuda_plan_arena_read(p, off, len, out.Data(), err, sizeof err) != 0)
      throw Napi::Error::New(info.Env(), std::string("readArena: ") + err);
    return out;
  }

  Napi::Value WriteArena(const Napi::CallbackInfo& info) {
    lam_cuda_plan* p = live(info.Env());
    const int64_t n = lam_cuda_plan_arena_floats(p);
    const int64_t off = int_arg(info, 0, "writeArena: offset", 0, n);
    Napi::Float32Array data = f32_arg(info, 1, "writeArena: data", false);
    const int64_t len = (int64_t)data.ElementLength();
    if (len > n - off)
      throw Napi::RangeError::New(info.Env(), "writeArena: [" + std::to_string(off) + ", " + std::to_string(off + len) +
                                                  ") is outside the arena of " + std::to_string(n) + " floats");
    char err[512] = {0};
    if (lam_cuda_plan_arena_write(p, off, len, data.Data(), err, sizeof err) != 0)
      throw Napi::Error::New(info.Env(), std::string("writeArena: ") + err);
    return info.Env().Undefined();
  }

  Napi::Value Run(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    lam_cuda_plan* p = live(env);
    Napi::Float32Array feeds = f32_arg(info, 0, "run: feeds", true);
    const int64_t fs = int_arg(info, 1, "run: feedStride", 0, 2147483647);
    Napi::Float32Array outs = f32_arg(info, 2, "run: outputs", true);
    const int64_t os = int_arg(info, 3, "run: outStride", 0, 2147483647);
    const int64_t steps = int_arg(info, 4, "run: steps", 0, 2147483647);
    const int64_t feed_need = lam_cuda_plan_feed_floats(p), out_need = lam_cuda_plan_out_floats(p);
    const float* fp = feeds.IsEmpty() ? nullptr : feeds.Data();
    float* op = outs.IsEmpty() ? nullptr : outs.Data();
    if (steps > 0 && feed_need > 0) {
      if (!fp) throw Napi::TypeError::New(env, "run: the plan reads " + std::to_string(feed_need) + " feed floats per step; feeds is missing");
      if (fs < feed_need) throw Napi::RangeError::New(env, "run: feedStride " + std::to_string(fs) + " is smaller than the " + std::to_string(feed_need) + " feed floats a step reads");
      const int64_t need = (steps - 1) * fs + feed_need;
      if ((int64_t)feeds.ElementLength() < need)
        throw Napi::RangeError::New(env, "run: feeds has " + std::to_string(feeds.ElementLength()) + " floats, expected ≥ " + std::to_string(need) + " for " + std::to_string(steps) + " steps");
    }
    if (steps > 0 && out_need > 0) {
      if (!op) throw Napi::TypeError::New(env, "run: the plan writes " + std::to_string(out_need) + " output floats per step; outputs is missing");
      if (os < out_need) throw Napi::RangeError::New(env, "run: outStride " + std::to_string(os) + " is smaller than the " + std::to_string(out_need) + " output floats a step writes");
      const int64_t need = (steps - 1) * os + out_need;
      if ((int64_t)outs.ElementLength() < need)
        throw Napi::RangeError::New(env, "run: outputs has " + std::to_string(outs.ElementLength()) + " floats, expected ≥ " + std::to_string(need) + " for " + std::to_string(steps) + " steps");
    }
    int64_t failed = -1;
    char err[1024] = {0};
    const int rc = lam_cuda_plan_run(p, fp, fs, op, os, steps, &failed, err, sizeof err);
    if (rc != 0) {
      Napi::Error e = Napi::Error::New(env, err);
      e.Set("step", Napi::Number::New(env, (double)failed));
      e.Set("code", Napi::Number::New(env, rc));
      throw e;
    }
    return env.Undefined();
  }

  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    lam_cuda_plan_destroy(plan_);
    plan_ = nullptr;
    return info.Env().Undefined();
  }
};

Napi::Value CudaInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  lam_cuda_device_info d;
  lam_cuda_get_device_info(&d);
  Napi::Object o = Napi::Object::New(env);
  o.Set("available", Napi::Boolean::New(env, d.available != 0));
  o.Set("compiledIn", Napi::Boolean::New(env, true));
  o.Set("driverVersion", Napi::Number::New(env, d.driver_version));
  o.Set("runtimeVersion", Napi::Number::New(env, d.runtime_version));
  o.Set("deviceCount", Napi::Number::New(env, d.device_count));
  if (!d.available) {
    o.Set("reason", Napi::String::New(env, d.reason));
    return o;
  }
  o.Set("ordinal", Napi::Number::New(env, d.ordinal));
  o.Set("name", Napi::String::New(env, d.name));
  o.Set("totalBytes", Napi::Number::New(env, (double)d.total_bytes));
  o.Set("freeBytes", Napi::Number::New(env, (double)d.free_bytes));
  o.Set("computeCapability", Napi::String::New(env, std::to_string(d.cc_major) + "." + std::to_string(d.cc_minor)));
  o.Set("multiprocessors", Napi::Number::New(env, d.multiprocessors));
  o.Set("clockKHz", Napi::Number::New(env, d.clock_khz));
  o.Set("memoryClockKHz", Napi::Number::New(env, d.memory_clock_khz));
  o.Set("memoryBusBits", Napi::Number::New(env, d.memory_bus_bits));
  o.Set("l2Bytes", Napi::Number::New(env, (double)d.l2_bytes));
  o.Set("gemmVersion", Napi::Number::New(env, lam_cuda_get_gemm_version()));
  return o;
}

Napi::Value SetGemmVersion(const Napi::CallbackInfo& info) {
  lam_cuda_set_gemm_version((int)int_arg(info, 0, "cudaSetGemmVersion: version", 0, 3));
  return info.Env().Undefined();
}

Napi::Value GetGemmVersion(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), lam_cuda_get_gemm_version());
}

#else  // built without nvcc

Napi::Value CudaInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("available", Napi::Boolean::New(env, false));
  o.Set("compiledIn", Napi::Boolean::New(env, false));
  o.Set("reason", Napi::String::New(env, "this build has no CUDA support (nvcc was not found when the addon was "
                                         "compiled, or LAMKIT_CUDA=0); install the CUDA toolkit and rerun "
                                         "`npm run build:native`"));
  return o;
}

#endif

}  // namespace

void lamkit_register_cuda(Napi::Env env, Napi::Object exports) {
  exports.Set("cudaInfo", Napi::Function::New(env, CudaInfo, "cudaInfo"));
#ifdef LAMKIT_HAVE_CUDA
  exports.Set("CudaPlan", CudaPlan::Define(env));
  exports.Set("cudaSetGemmVersion", Napi::Function::New(env, SetGemmVersion, "cudaSetGemmVersion"));
  exports.Set("cudaGetGemmVersion", Napi::Function::New(env, GetGemmVersion, "cudaGetGemmVersion"));
#endif
}
