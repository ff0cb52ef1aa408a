// Dispatch for the direct conv2d forward (conv2d_direct.h). Until an ISA kernel takes a
// geometry, every call falls back to the im2col path.
#include "conv2d_direct.h"

namespace lamkit {

bool conv2d_direct(const float*, const float*, float*, int64_t, int64_t, const ConvGeom&, int,
                   const ConvEpilogue&) {
  return false;
}

}  // namespace lamkit
