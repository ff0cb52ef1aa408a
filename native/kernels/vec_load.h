// Unaligned load/store of GCC/Clang vector-extension values (float lanes) from float arrays,
// shared by the vector kernels. memcpy: no alignment or strict-aliasing assumptions; compilers
// turn it into one vector move.
#ifndef LAMKIT_VEC_LOAD_H
#define LAMKIT_VEC_LOAD_H

#include <string.h>

namespace lamkit {

template <class V>
inline void loadv(V& v, const float* p) {
  memcpy(&v, p, sizeof v);
}

// Returning form, loadv<V>(p). The 64-byte AVX-512 body uses the out-parameter form: returning
// such a vector from code compiled without AVX-512 changes the ABI (GCC -Wpsabi).
template <class V>
inline V loadv(const float* p) {
  V v;
  memcpy(&v, p, sizeof v);
  return v;
}

template <class V>
inline void storev(float* p, const V& v) {
  memcpy(p, &v, sizeof v);
}

}  // namespace lamkit

#endif
