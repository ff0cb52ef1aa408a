// Thread pool: every tid runs exactly once per region, nested regions run serially, thousands
// of back-to-back regions (lost-wakeup stress), resizing, lam_set/get_num_threads, ISA names.
#include <lamkit/kernels.h>

#include <atomic>
#include <vector>

#include "runtime/thread_pool.h"
#include "test_util.h"

int main() {
  const int def = lam_get_num_threads();
  CHECK(def >= 1, "default threads %d", def);
  for (int n : {1, 2, 3, 5, 8}) {
    lam_set_num_threads(n);
    CHECK(lam_get_num_threads() == n, "set %d, got %d", n, lam_get_num_threads());
    for (int want : {1, 2, 7, 16}) {
      std::vector<std::atomic<int>> hits(want);
      for (auto& h : hits) h = 0;
      lamkit::parallel_run(want, [](void* c, int tid, int nt) {
        auto* h = static_cast<std::vector<std::atomic<int>>*>(c);
        if (nt == (int)h->size()) (*h)[tid]++;
      }, &hits);
      for (int t = 0; t < want; ++t) CHECK(hits[t] == 1, "pool %d region %d: tid %d ran %d times", n, want, t, hits[t].load());
    }
    // Nested: the inner region must run on the calling worker (available_threads() == 1).
    std::atomic<int> inner_serial{0}, outer{0};
    lamkit::parallel(n, [&](int, int) {
      outer++;
      if (lamkit::available_threads() == 1) inner_serial++;
      lamkit::parallel_for(1000, 1e6, [&](int64_t, int64_t) {});
    });
    CHECK(inner_serial == outer, "nested regions must be serial (%d of %d)", inner_serial.load(), outer.load());
    // Stress: many tiny regions; a lost wake-up would hang here (ctest timeout).
    std::atomic<int64_t> sum{0};
    for (int i = 0; i < 4000; ++i)
      lamkit::parallel(n, [&](int tid, int) { sum += tid + 1; });
    int64_t per = 0;
    for (int t = 1; t <= n; ++t) per += t;
    CHECK(sum == per * 4000, "stress sum %lld, expected %lld", (long long)sum.load(), (long long)(per * 4000));
    // parallel_for covers [0, n) exactly once.
    std::vector<int> cover(100003, 0);
    lamkit::parallel_for((int64_t)cover.size(), 1e3, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) cover[(size_t)i]++;
    });
    int bad = 0;
    for (int c : cover) bad += c != 1;
    CHECK(bad == 0, "parallel_for coverage: %d indices not visited exactly once", bad);
  }
  lam_set_num_threads(0);
  CHECK(lam_get_num_threads() == def, "n <= 0 restores the default %d, got %d", def, lam_get_num_threads());
  const char* isa = lam_isa_name();
  CHECK(!strcmp(isa, "avx512") || !strcmp(isa, "avx2") || !strcmp(isa, "scalar") || !strcmp(isa, "wasm-simd128"), "isa %s", isa);
  lam_force_isa("scalar");
  CHECK(!strcmp(lam_isa_name(), "scalar"), "forced scalar, got %s", lam_isa_name());
  lam_force_isa(nullptr);
  CHECK(!strcmp(lam_isa_name(), isa), "auto again: %s, expected %s", lam_isa_name(), isa);
  printf("thread_pool_test: default threads %d, isa %s, %d failures\n", def, isa, lt::failures());
  return lt::failures() != 0;
}
