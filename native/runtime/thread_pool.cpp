// Persistent thread pool (see thread_pool.h). One job at a time: the caller is thread 0 and
// workers 1..n-1 pick up the job by generation number; completion is counted atomically.
#include "thread_pool.h"

#include <lamkit/kernels.h>

#include <stdlib.h>

#if defined(__wasm__) && !defined(__wasm_threads__) && !defined(__EMSCRIPTEN_PTHREADS__)
#define LAMKIT_NO_THREADS 1
#endif

#ifndef LAMKIT_NO_THREADS
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>
#endif

namespace lamkit {

#ifdef LAMKIT_NO_THREADS

int available_threads() { return 1; }
void parallel_run(int, parallel_fn fn, void* ctx) { fn(ctx, 0, 1); }
void hold_workers(bool) {}

}  // namespace lamkit

extern "C" void lam_set_num_threads(int) {}
extern "C" int lam_get_num_threads(void) { return 1; }

#else

namespace {

thread_local bool t_in_worker = false;

// Spin iterations before blocking (~40 µs with pause). Long spins look fast on an idle machine
// but steal time slices from our own other thread when the cores are oversubscribed.
const int kSpin = 2000;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

int default_threads() {
  const char* env = getenv("LAMKIT_THREADS");
  if (env && *env) {
    int v = atoi(env);
    if (v > 0) return v > 256 ? 256 : v;
  }
  unsigned hc = std::thread::hardware_concurrency();
  return hc == 0 ? 1 : (int)(hc > 256 ? 256 : hc);
}

class Pool {
 public:
  Pool() : size_(default_threads()) {}
  ~Pool() { stop(); }

  int size() const { return size_; }

  void hold(bool on) { hold_.fetch_add(on ? 1 : -1, std::memory_order_relaxed); }

  void resize(int n) {
    std::lock_guard<std::mutex> run_lock(run_mu_);
    stop();
    size_ = n;
  }

  void run(int nt, parallel_fn fn, void* ctx) {
    // One region at a time; a second caller thread waits here instead of corrupting the job.
    std::lock_guard<std::mutex> run_lock(run_mu_);
    // More tids than threads: participant i runs tids i, i+P, i+2P, ...
    int P = nt < size_ ? nt : size_;
    ensure_started();
    {
      std::lock_guard<std::mutex> lk(mu_);
      fn_ = fn;
      ctx_ = ctx;
      nt_ = nt;
      np_ = P;
      remaining_.store(P - 1, std::memory_order_relaxed);
      generation_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    t_in_worker = true;
    for (int t = 0; t < nt; t += P) fn(ctx, t, nt);
    t_in_worker = false;
    // Short spin (threads usually finish within microseconds of each other), then block until
    // the last worker signals.
    for (int spin = 0; spin < kSpin && remaining_.load(std::memory_order_acquire) != 0; ++spin) cpu_relax();
    if (remaining_.load(std::memory_order_acquire) != 0) {
      std::unique_lock<std::mutex> lk(done_mu_);
      done_cv_.wait(lk, [&] { return remaining_.load(std::memory_order_acquire) == 0; });
    }
  }

 private:
  void ensure_started() {
    if ((int)workers_.size() == size_ - 1) return;
    stop_flag_ = false;
    // The generation is captured here, before the caller publishes its job: a worker that read
    // it at its own start could miss that job and sleep forever.
    const uint64_t g0 = generation_.load(std::memory_order_acquire);
    for (int i = 1; i < size_; ++i) workers_.emplace_back([this, i, g0] { loop(i, g0); });
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stop_flag_ = true;
      generation_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
    stop_flag_ = false;
  }

  void loop(int id, uint64_t seen) {
    t_in_worker = true;
    for (;;) {
      // Spin a little before sleeping: back-to-back kernels in a step arrive quickly.
      uint64_t g = seen;
      for (int spin = 0;; ++spin) {
        g = generation_.load(std::memory_order_acquire);
        if (g != seen) break;
        if (spin >= kSpin) {
          if (hold_.load(std::memory_order_relaxed) <= 0) break;
          // Held (a tape run is in progress): keep spinning, but let other runnable threads
          // have the core now and then; on an idle core the yield returns at once.
          if ((spin & 255) == 0) std::this_thread::yield();
        }
        cpu_relax();
      }
      if (g == seen) {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [&] { return generation_.load(std::memory_order_acquire) != seen; });
      }
      parallel_fn fn;
      void* ctx;
      int nt, np;
      bool quit;
      {
        std::lock_guard<std::mutex> lk(mu_);
        seen = generation_.load(std::memory_order_acquire);
        fn = fn_;
        ctx = ctx_;
        nt = nt_;
        np = np_;
        quit = stop_flag_;
      }
      if (quit) return;
      if (id < np) {
        for (int t = id; t < nt; t += np) fn(ctx, t, nt);
        if (remaining_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
          // Last one out wakes the caller if it stopped spinning (taking the lock orders this
          // notify after the caller's predicate check).
          std::lock_guard<std::mutex> lk(done_mu_);
          done_cv_.notify_one();
        }
      }
    }
  }

  int size_;
  std::vector<std::thread> workers_;
  std::mutex run_mu_, mu_, done_mu_;
  std::condition_variable cv_, done_cv_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> remaining_{0};
  std::atomic<int> hold_{0};
  parallel_fn fn_ = nullptr;
  void* ctx_ = nullptr;
  int nt_ = 1, np_ = 1;
  bool stop_flag_ = false;
};

Pool& pool() {
  static Pool* p = new Pool();  // leaked on purpose: no join at static destruction time
  return *p;
}

}  // namespace

int available_threads() { return t_in_worker ? 1 : pool().size(); }

void hold_workers(bool on) { pool().hold(on); }

void parallel_run(int nthreads, parallel_fn fn, void* ctx) {
  if (nthreads <= 1 || t_in_worker) {
    // Serial fallback still honours the tid contract so callers can split work the same way.
    for (int t = 0; t < (nthreads < 1 ? 1 : nthreads); ++t) fn(ctx, t, nthreads < 1 ? 1 : nthreads);
    return;
  }
  pool().run(nthreads, fn, ctx);
}

}  // namespace lamkit

extern "C" void lam_set_num_threads(int n) {
  if (n <= 0) n = lamkit::default_threads();
  if (n > 256) n = 256;
  if (n != lamkit::pool().size()) lamkit::pool().resize(n);
}

extern "C" int lam_get_num_threads(void) { return lamkit::pool().size(); }

#endif
