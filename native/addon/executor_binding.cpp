// Node-API binding of the plan executor (native/include/lamkit/executor.h).
//
//   const plan = new addon.Plan(tape: Int32Array, arenaFloats: number)   // validates the tape
//   plan.arenaFloats                                                      // number
//   plan.readArena(offset, length) → Float32Array (a copy)
//   plan.writeArena(offset, data: Float32Array)
//   plan.run(feeds: Float32Array | null, feedStride, outputs: Float32Array | null, outStride, steps)
//       throws Error (with .step = the failed 0-based step) when CHECK_FINITE or an index check fails
//   plan.profile(enable: boolean)                  // zero the per-instruction timers; start/stop
//   plan.readProfile() → Float64Array              // seconds per instruction, in tape order
//   plan.dispose()                                                        // frees the arena now
//
// Arguments are checked again here (src/backends/native.ts checks them first with clearer
// messages) because nothing that reaches native code may read or write outside its buffers.
#include <lamkit/executor.h>
#include <lamkit/opcodes.h>
#include <napi.h>

#include <string.h>

#include <algorithm>
#include <string>

namespace {

class Plan : public Napi::ObjectWrap<Plan> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Plan",
                       {InstanceAccessor<&Plan::ArenaFloats>("arenaFloats"),
                        InstanceMethod<&Plan::ReadArena>("readArena"),
                        InstanceMethod<&Plan::WriteArena>("writeArena"),
                        InstanceMethod<&Plan::Run>("run"),
                        InstanceMethod<&Plan::Profile>("profile"),
                        InstanceMethod<&Plan::ReadProfile>("readProfile"),
                        InstanceMethod<&Plan::Dispose>("dispose")});
  }

  explicit Plan(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Plan>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsTypedArray() ||
        info[0].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
      throw Napi::TypeError::New(env, "Plan: tape must be an Int32Array");
    if (!info[1].IsNumber()) throw Napi::TypeError::New(env, "Plan: arenaFloats must be a number");
    Napi::Int32Array tape = info[0].As<Napi::Int32Array>();
    const double af = info[1].As<Napi::Number>().DoubleValue();
    if (!(af >= 1) || af != (double)(int64_t)af || af > 4.0e9)
      throw Napi::RangeError::New(env, "Plan: arenaFloats must be an integer in [1, 4e9], got " + std::to_string(af));
    char err[512];
    plan_ = lam_plan_create(tape.Data(), (int64_t)tape.ElementLength(), (int64_t)af, err, sizeof err);
    if (!plan_) throw Napi::RangeError::New(env, std::string("Plan: ") + err);
    // How many floats one step's feed / output block must hold (the C API cannot see JS lengths).
    const int32_t* t = tape.Data();
    for (size_t pc = 0; pc + 1 < tape.ElementLength(); pc += 2 + (size_t)t[pc + 1]) {
      if (t[pc] == LAM_OP_FEED) feed_need_ = std::max<int64_t>(feed_need_, (int64_t)t[pc + 3] + t[pc + 4]);
      if (t[pc] == LAM_OP_OUTPUT) out_need_ = std::max<int64_t>(out_need_, (int64_t)t[pc + 3] + t[pc + 4]);
    }
  }

  ~Plan() override { lam_plan_destroy(plan_); }

 private:
  lam_plan* plan_ = nullptr;
  int64_t feed_need_ = 0;
  int64_t out_need_ = 0;

  lam_plan* live(Napi::Env env) {
    if (!plan_) throw Napi::Error::New(env, "Plan: used after dispose()");
    return plan_;
  }

  static int64_t intArg(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t lo) {
    if (info.Length() <= i || !info[i].IsNumber())
      throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a number");
    const double v = info[i].As<Napi::Number>().DoubleValue();
    if (!(v >= (double)lo) || v != (double)(int64_t)v || v > 9.0e15)
      throw Napi::RangeError::New(info.Env(), std::string(name) + " must be an integer ≥ " + std::to_string(lo) +
                                                  ", got " + std::to_string(v));
    return (int64_t)v;
  }

  static Napi::Float32Array f32Arg(const Napi::CallbackInfo& info, size_t i, const char* name, bool nullable) {
    if (nullable && (info.Length() <= i || info[i].IsNull() || info[i].IsUndefined())) return Napi::Float32Array();
    if (info.Length() <= i || !info[i].IsTypedArray() ||
        info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
      throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a Float32Array");
    return info[i].As<Napi::Float32Array>();
  }

  Napi::Value ArenaFloats(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), (double)lam_plan_arena_floats(live(info.Env())));
  }

  Napi::Value ReadArena(const Napi::CallbackInfo& info) {
    lam_plan* p = live(info.Env());
    const int64_t off = intArg(info, 0, "readArena: offset", 0);
    const int64_t len = intArg(info, 1, "readArena: length", 0);
    const int64_t n = lam_plan_arena_floats(p);
    if (off > n || len > n - off)
      throw Napi::RangeError::New(info.Env(), "readArena: [" + std::to_string(off) + ", " + std::to_string(off + len) +
                                                  ") is outside the arena of " + std::to_string(n) + " floats");
    Napi::Float32Array out = Napi::Float32Array::New(info.Env(), (size_t)len);
    if (len) memcpy(out.Data(), lam_plan_arena(p) + off, sizeof(float) * (size_t)len);
    return out;
  }

  Napi::Value WriteArena(const Napi::CallbackInfo& info) {
    lam_plan* p = live(info.Env());
    const int64_t off = intArg(info, 0, "writeArena: offset", 0);
    Napi::Float32Array data = f32Arg(info, 1, "writeArena: data", false);
    const int64_t len = (int64_t)data.ElementLength();
    const int64_t n = lam_plan_arena_floats(p);
    if (off > n || len > n - off)
      throw Napi::RangeError::New(info.Env(), "writeArena: [" + std::to_string(off) + ", " + std::to_string(off + len) +
                                                  ") is outside the arena of " + std::to_string(n) + " floats");
    if (len) memcpy(lam_plan_arena(p) + off, data.Data(), sizeof(float) * (size_t)len);
    return info.Env().Undefined();
  }

  Napi::Value Run(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    lam_plan* p = live(env);
    Napi::Float32Array feeds = f32Arg(info, 0, "run: feeds", true);
    const int64_t fs = intArg(info, 1, "run: feedStride", 0);
    Napi::Float32Array outs = f32Arg(info, 2, "run: outputs", true);
    const int64_t os = intArg(info, 3, "run: outStride", 0);
    const int64_t steps = intArg(info, 4, "run: steps", 0);
    const float* fp = feeds.IsEmpty() ? nullptr : feeds.Data();
    float* op = outs.IsEmpty() ? nullptr : outs.Data();
    if (steps > 0 && feed_need_ > 0) {
      if (!fp) throw Napi::TypeError::New(env, "run: the plan reads " + std::to_string(feed_need_) + " feed floats per step; feeds is missing");
      if (fs < feed_need_) throw Napi::RangeError::New(env, "run: feedStride " + std::to_string(fs) + " is smaller than the " + std::to_string(feed_need_) + " feed floats a step reads");
      const int64_t need = (steps - 1) * fs + feed_need_;
      if ((int64_t)feeds.ElementLength() < need)
        throw Napi::RangeError::New(env, "run: feeds has " + std::to_string(feeds.ElementLength()) + " floats, expected ≥ " + std::to_string(need) + " for " + std::to_string(steps) + " steps");
    }
    if (steps > 0 && out_need_ > 0) {
      if (!op) throw Napi::TypeError::New(env, "run: the plan writes " + std::to_string(out_need_) + " output floats per step; outputs is missing");
      if (os < out_need_) throw Napi::RangeError::New(env, "run: outStride " + std::to_string(os) + " is smaller than the " + std::to_string(out_need_) + " output floats a step writes");
      const int64_t need = (steps - 1) * os + out_need_;
      if ((int64_t)outs.ElementLength() < need)
        throw Napi::RangeError::New(env, "run: outputs has " + std::to_string(outs.ElementLength()) + " floats, expected ≥ " + std::to_string(need) + " for " + std::to_string(steps) + " steps");
    }
    int64_t failed = -1;
    char err[512];
    const int rc = lam_plan_run(p, fp, fs, op, os, steps, &failed, err, sizeof err);
    if (rc != 0) {
      Napi::Error e = Napi::Error::New(env, err);
      e.Set("step", Napi::Number::New(env, (double)failed));
      e.Set("code", Napi::Number::New(env, rc));
      throw e;
    }
    return env.Undefined();
  }

  Napi::Value Profile(const Napi::CallbackInfo& info) {
    if (info.Length() < 1 || !info[0].IsBoolean()) throw Napi::TypeError::New(info.Env(), "profile: enable must be a boolean");
    lam_plan_profile(live(info.Env()), info[0].As<Napi::Boolean>().Value() ? 1 : 0);
    return info.Env().Undefined();
  }

  Napi::Value ReadProfile(const Napi::CallbackInfo& info) {
    lam_plan* p = live(info.Env());
    const int64_t n = lam_plan_profile_read(p, nullptr, 0);
    Napi::Float64Array out = Napi::Float64Array::New(info.Env(), (size_t)n);
    lam_plan_profile_read(p, out.Data(), n);
    return out;
  }

  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    lam_plan_destroy(plan_);
    plan_ = nullptr;
    return info.Env().Undefined();
  }
};

}  // namespace

void lamkit_register_executor(Napi::Env env, Napi::Object exports) {
  exports.Set("Plan", Plan::Define(env));
}
