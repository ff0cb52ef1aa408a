// lamkit thread pool for WebAssembly — implements native/runtime/thread_pool.h (parallel_run,
// available_threads, lam_set/get_num_threads) for the wasm build, replacing thread_pool.cpp.
//
// Why a separate pool: the sysroot that ships with @yowasp/clang is wasm32-wasip1 (no pthreads,
// libc++ without std::thread). Threads are instead Web Workers / Node worker_threads created by
// src/backends/wasm.ts: each instantiates this module on the same shared memory, sets its own
// stack and TLS, and calls lam_wasm_worker_main(id), which never returns until shutdown.
//
// Protocol (one job at a time): the caller (the JS main thread) writes the job descriptor, then
// publishes a 64-bit ticket [generation:32 | nt:16 | next tid:16], bumps the futex word
// `generation` and wakes sleepers (memory.atomic.notify). Every participant — the caller too —
// claims tids by compare-and-swap on the ticket and runs fn(ctx, tid, nt); the job is over when
// `done` reaches nt. Why claiming instead of fixed tid ownership: on an oversubscribed machine
// (or a throttled browser tab) a worker may not be scheduled for milliseconds; the caller then
// simply runs the unclaimed tids itself instead of waiting, so a job never takes longer than
// running it serially plus one tid. A worker that wakes late finds the ticket of a later
// generation (or no tid left) and goes back to sleep. The caller spins (memory.atomic.wait is
// not allowed on a browser main thread); workers spin briefly before sleeping because kernels
// of one step arrive microseconds apart.
// hold_workers (thread_pool.h; the executor holds the pool for a whole tape run): while a hold
// is active, idle workers keep spinning instead of blocking after their spin round, so the
// next kernel of the step (microseconds later) finds them awake; a blocked worker is woken by
// a futex round trip (tens of µs), and meanwhile the caller runs a small kernel alone. Wasm
// has no sched_yield, so a held worker burns its core until the run ends, as the native pool's
// held workers do between their yields. The default thread count is the core count.
// Without -matomics (baseline / simd variants) everything runs serially on the caller.
#include <lamkit/kernels.h>

#include "runtime/thread_pool.h"
#include "wasm_export.h"

namespace lamkit {
namespace {

#ifdef __wasm_atomics__
struct PoolState {
  int32_t generation;  // futex word: bumped once per job (and at shutdown)
  int32_t done;        // tids of the current job finished
  int32_t sleepers;    // workers blocked in memory.atomic.wait32
  int32_t workers;     // workers started by JS (threads = workers + 1)
  int32_t threads;     // lam_set_num_threads target, 1..workers+1
  int32_t stop;
  int32_t failed;      // a worker trapped inside a kernel (set by lam_wasm_worker_failed)
  int32_t holds;       // active hold_workers(true) calls: idle workers keep polling
  uint64_t ticket;     // [generation:32 | nt:16 | next tid:16]
  parallel_fn fn;
  void* ctx;
};
PoolState g_pool = {0, 0, 0, 0, 1, 0, 0, 0, 0, nullptr, nullptr};
int32_t g_busy = 0;  // caller-side reentrancy guard (one region at a time)
thread_local bool t_in_region = false;

inline int32_t load(const int32_t* p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }
inline void store(int32_t* p, int32_t v) { __atomic_store_n(p, v, __ATOMIC_SEQ_CST); }

// Claims and runs tids of job `gen` until none is left (or the ticket moved to another job).
// The descriptor (fn, ctx) is read only after a successful claim: the caller cannot finish the
// job, let alone reuse the descriptor, while one of its tids is claimed but not done.
void participate(uint32_t gen) {
  for (;;) {
    uint64_t t = __atomic_load_n(&g_pool.ticket, __ATOMIC_SEQ_CST);
    if ((uint32_t)(t >> 32) != gen) return;
    const int nt = (int)((t >> 16) & 0xffff), tid = (int)(t & 0xffff);
    if (tid >= nt) return;
    if (!__atomic_compare_exchange_n(&g_pool.ticket, &t, t + 1, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) continue;
    g_pool.fn(g_pool.ctx, tid, nt);
    __atomic_fetch_add(&g_pool.done, 1, __ATOMIC_SEQ_CST);
  }
}
#endif

}  // namespace

#ifdef __wasm_atomics__

int available_threads() { return t_in_region ? 1 : load(&g_pool.threads); }

void hold_workers(bool on) { __atomic_fetch_add(&g_pool.holds, on ? 1 : -1, __ATOMIC_SEQ_CST); }

void parallel_run(int nthreads, parallel_fn fn, void* ctx) {
  const int n = nthreads < 1 ? 1 : nthreads;
  // Serial when nested, when no workers exist, for tid counts the ticket cannot hold, or when
  // another caller holds the pool.
  if (n <= 1 || n > 0xffff || t_in_region || load(&g_pool.workers) == 0 ||
      __atomic_exchange_n(&g_busy, 1, __ATOMIC_ACQUIRE) != 0) {
    for (int t = 0; t < n; ++t) fn(ctx, t, n);
    return;
  }
  g_pool.fn = fn;
  g_pool.ctx = ctx;
  store(&g_pool.done, 0);
  const uint32_t gen = (uint32_t)load(&g_pool.generation) + 1;
  __atomic_store_n(&g_pool.ticket, ((uint64_t)gen << 32) | ((uint64_t)n << 16), __ATOMIC_SEQ_CST);
  store(&g_pool.generation, (int32_t)gen);
  if (load(&g_pool.sleepers) > 0) __builtin_wasm_memory_atomic_notify(&g_pool.generation, 0x7fffffff);
  t_in_region = true;
  participate(gen);
  t_in_region = false;
  while (load(&g_pool.done) < n && !load(&g_pool.failed)) {
  }
  __atomic_store_n(&g_busy, 0, __ATOMIC_RELEASE);
  // A worker trapped inside a kernel: its tid was not completed, so the results are garbage.
  // Trap here too; the JS side turns it into an error naming the worker failure.
  if (load(&g_pool.failed)) __builtin_trap();
}

#else

int available_threads() { return 1; }
void hold_workers(bool) {}
void parallel_run(int nthreads, parallel_fn fn, void* ctx) {
  const int n = nthreads < 1 ? 1 : nthreads;
  for (int t = 0; t < n; ++t) fn(ctx, t, n);
}

#endif

}  // namespace lamkit

#ifdef __wasm_atomics__

using lamkit::g_pool;

extern "C" void lam_set_num_threads(int n) {
  const int max = lamkit::load(&g_pool.workers) + 1;
  lamkit::store(&g_pool.threads, n <= 0 || n > max ? max : n);
}
extern "C" int lam_get_num_threads(void) { return lamkit::load(&g_pool.threads); }

// Called by JS on the main thread before starting `n` workers (ids 1..n).
LAM_WASM_EXPORT void lam_wasm_pool_init(int32_t n) {
  lamkit::store(&g_pool.stop, 0);
  lamkit::store(&g_pool.failed, 0);
  lamkit::store(&g_pool.workers, n);
  lamkit::store(&g_pool.threads, n + 1);
}

// Worker thread body: returns only after lam_wasm_pool_shutdown().
LAM_WASM_EXPORT void lam_wasm_worker_main(int32_t) {
  lamkit::t_in_region = true;  // kernels called from a worker never fan out again
  int32_t seen = lamkit::load(&g_pool.generation);
  for (;;) {
    int32_t g = seen;
    for (int spin = 0; spin < 20000 && g == seen; ++spin) g = lamkit::load(&g_pool.generation);
    // Held (a tape run is in progress): more spin rounds while the hold lasts, unless the run
    // is limited to one thread (lam_set_num_threads(1): no job can come, do not burn a core).
    while (g == seen && lamkit::load(&g_pool.holds) > 0 && lamkit::load(&g_pool.threads) > 1 &&
           !lamkit::load(&g_pool.stop))
      for (int spin = 0; spin < 20000 && g == seen; ++spin) g = lamkit::load(&g_pool.generation);
    while (g == seen) {
      __atomic_fetch_add(&g_pool.sleepers, 1, __ATOMIC_SEQ_CST);
      __builtin_wasm_memory_atomic_wait32(&g_pool.generation, seen, -1);
      __atomic_fetch_sub(&g_pool.sleepers, 1, __ATOMIC_SEQ_CST);
      g = lamkit::load(&g_pool.generation);
    }
    seen = g;
    if (lamkit::load(&g_pool.stop)) return;
    lamkit::participate((uint32_t)g);
  }
}

// Drops every hold. A trap inside lam_plan_run skips the executor's WorkerHold destructor, so
// the JS side calls this after one; otherwise the workers would spin until terminate().
LAM_WASM_EXPORT void lam_wasm_pool_unhold(void) { lamkit::store(&g_pool.holds, 0); }

// Called by a worker's JS after a trap inside a kernel: unblocks the caller (which then traps)
// and turns the pool serial, since that worker is gone.
LAM_WASM_EXPORT void lam_wasm_worker_failed(int32_t) {
  lamkit::store(&g_pool.holds, 0);
  lamkit::store(&g_pool.failed, 1);
  lamkit::store(&g_pool.workers, 0);
  lamkit::store(&g_pool.threads, 1);
}

// Wakes every worker with the stop flag set; they return from lam_wasm_worker_main.
LAM_WASM_EXPORT void lam_wasm_pool_shutdown(void) {
  lamkit::store(&g_pool.stop, 1);
  lamkit::store(&g_pool.workers, 0);
  lamkit::store(&g_pool.threads, 1);
  __atomic_fetch_add(&g_pool.generation, 1, __ATOMIC_SEQ_CST);
  __builtin_wasm_memory_atomic_notify(&g_pool.generation, 0x7fffffff);
}

// Workers started so far (0 in the single-threaded variants).
LAM_WASM_EXPORT int32_t lam_wasm_pool_workers(void) { return lamkit::load(&g_pool.workers); }

// Active holds and workers blocked in memory.atomic.wait (tests check workers park after a run).
LAM_WASM_EXPORT int32_t lam_wasm_pool_holds(void) { return lamkit::load(&g_pool.holds); }
LAM_WASM_EXPORT int32_t lam_wasm_pool_sleepers(void) { return lamkit::load(&g_pool.sleepers); }

#else

extern "C" void lam_set_num_threads(int) {}
extern "C" int lam_get_num_threads(void) { return 1; }
LAM_WASM_EXPORT int32_t lam_wasm_pool_workers(void) { return 0; }
LAM_WASM_EXPORT void lam_wasm_pool_unhold(void) {}
LAM_WASM_EXPORT int32_t lam_wasm_pool_holds(void) { return 0; }
LAM_WASM_EXPORT int32_t lam_wasm_pool_sleepers(void) { return 0; }

#endif
