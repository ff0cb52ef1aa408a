// Tiny test helpers for the C++ kernel tests (no framework): a seeded RNG, a CHECK macro that
// counts failures, NaN-poisoned / random-prefilled outputs with guard zones, and an error
// tracker that prints the max errors seen. Each *_test.cpp returns failures() != 0.
// Seed: LAMKIT_TEST_SEED (default 1234), printed on failure.
#ifndef LAMKIT_TEST_UTIL_H
#define LAMKIT_TEST_UTIL_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vector>

namespace lt {

inline int& failures() {
  static int f = 0;
  return f;
}

inline uint64_t seed() {
  const char* s = getenv("LAMKIT_TEST_SEED");
  return s ? strtoull(s, nullptr, 10) : 1234u;
}

#define CHECK(cond, ...)                                                        \
  do {                                                                          \
    if (!(cond)) {                                                              \
      fprintf(stderr, "FAIL %s:%d: %s  ", __FILE__, __LINE__, #cond);           \
      fprintf(stderr, __VA_ARGS__);                                             \
      fprintf(stderr, " (seed %llu)\n", (unsigned long long)lt::seed());        \
      ++lt::failures();                                                         \
    }                                                                           \
  } while (0)

struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed_) : s(seed_ * 0x9E3779B97F4A7C15ull + 1) {}
  uint64_t next() {  // splitmix64
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  float uniform(float lo = -1.0f, float hi = 1.0f) {
    return lo + (hi - lo) * (float)((next() >> 40) * (1.0 / 16777216.0));
  }
  int64_t below(int64_t n) { return (int64_t)(next() % (uint64_t)n); }
};

inline std::vector<float> randv(Rng& r, int64_t n, float lo = -1.0f, float hi = 1.0f) {
  std::vector<float> v((size_t)n);
  for (auto& x : v) x = r.uniform(lo, hi);
  return v;
}

// Output buffer with guard zones on both sides (bit patterns checked after the kernel).
struct Guarded {
  static const int64_t G = 37;
  std::vector<float> buf;
  int64_t n;
  Guarded(int64_t n_, Rng& r, bool poison_nan) : buf((size_t)(n_ + 2 * G)), n(n_) {
    for (int64_t i = 0; i < G; ++i) buf[(size_t)i] = buf[(size_t)(n + G + i)] = 12345.678f;
    for (int64_t i = 0; i < n; ++i) buf[(size_t)(G + i)] = poison_nan ? NAN : r.uniform();
  }
  float* data() { return buf.data() + G; }
  float operator[](int64_t i) const { return buf[(size_t)(G + i)]; }
  bool guards_ok() const {
    for (int64_t i = 0; i < G; ++i)
      if (buf[(size_t)i] != 12345.678f ||
          buf[(size_t)(n + G + i)] != 12345.678f)
        return false;
    return true;
  }
  std::vector<float> copy() const {
    return std::vector<float>(buf.begin() + G, buf.begin() + G + n);
  }
};

// Tolerance |got − ref| ≤ a0·√K·scale + rtol·|ref| (scale = typical magnitude of the terms).
struct ErrTracker {
  const char* name;
  double max_abs = 0, max_rel = 0;
  int64_t bad = 0;
  ErrTracker(const char* n) : name(n) {}
  void add(double got, double ref, double tol_abs, double rtol) {
    const double e = fabs(got - ref);
    const bool ok = e <= tol_abs + rtol * fabs(ref) && got == got;  // NaN fails
    if (!(e <= max_abs)) max_abs = e;
    const double rel = e / (fabs(ref) + 1e-30);
    if (fabs(ref) > 1e-6 && rel > max_rel) max_rel = rel;
    if (!ok) ++bad;
  }
  bool report(const char* what) {
    printf("  %-14s %-46s max_abs %.3g max_rel %.3g %s\n", name, what, max_abs, max_rel,
           bad ? "FAIL" : "ok");
    CHECK(bad == 0, "%s %s: %lld elements out of tolerance", name, what, (long long)bad);
    return bad == 0;
  }
};

}  // namespace lt

#endif
