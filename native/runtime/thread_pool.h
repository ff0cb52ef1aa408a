// lamkit persistent thread pool shared by every CPU kernel.
//
// Why persistent: LAM steps are many small kernels; spawning threads per call would cost more
// than the work. Workers spin briefly, then sleep on a condition variable between jobs (or keep
// spinning while a hold is active, see hold_workers).
// Size: LAMKIT_THREADS if set, else the number of cores; lam_set_num_threads() changes it
// (n <= 0 restores the default). A parallel region entered from inside a worker runs serially
// (no nested parallelism), so kernels may call each other freely.
// Under WASM without threads (no __EMSCRIPTEN_PTHREADS__ / LAMKIT_NO_THREADS) it is serial.
#ifndef LAMKIT_THREAD_POOL_H
#define LAMKIT_THREAD_POOL_H

#include <stdint.h>

namespace lamkit {

// fn(ctx, tid, nthreads) is called once for each tid in [0, nthreads); returns when all are done.
typedef void (*parallel_fn)(void* ctx, int tid, int nthreads);
void parallel_run(int nthreads, parallel_fn fn, void* ctx);

// Threads a region may use right now (1 inside a worker).
int available_threads();

// While at least one hold is active, idle workers keep spinning (yielding the core now and
// then) instead of going to sleep after their short spin. A tape run holds the pool for its
// whole duration: its kernels arrive every few microseconds, and waking a sleeping worker per
// kernel (futex round trip, tens of µs on a busy machine) cost more than the small kernels.
void hold_workers(bool on);
struct WorkerHold {
  WorkerHold() { hold_workers(true); }
  ~WorkerHold() { hold_workers(false); }
  WorkerHold(const WorkerHold&) = delete;
  WorkerHold& operator=(const WorkerHold&) = delete;
};

// Runs f(tid, nthreads) on up to `max_threads` threads (<= pool size).
template <class F>
void parallel(int max_threads, F&& f) {
  int nt = available_threads();
  if (max_threads < nt) nt = max_threads;
  if (nt <= 1) { f(0, 1); return; }
  parallel_run(nt, [](void* c, int tid, int n) { (*static_cast<F*>(c))(tid, n); }, &f);
}

// Splits [0, n) into contiguous chunks, one per thread; serial when n·cost_per_item is small
// (cost in "flops"; a region costs a few microseconds to wake, so ~64k flops is the break-even).
template <class F>
void parallel_for(int64_t n, double cost_per_item, F&& f) {
  int nt = available_threads();
  double total = (double)n * cost_per_item;
  if (total < 65536.0) nt = 1;
  if ((int64_t)nt > n) nt = (int)n;
  if (nt <= 1) { if (n > 0) f((int64_t)0, n); return; }
  parallel(nt, [&](int tid, int nthr) {
    int64_t b = n * tid / nthr, e = n * (tid + 1) / nthr;
    if (b < e) f(b, e);
  });
}

}  // namespace lamkit

#endif
