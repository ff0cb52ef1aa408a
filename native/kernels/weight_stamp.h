// Weight stamps: a caller's promise to a kernel that keeps packed weights between calls
// (conv2d_direct_wcache.h) that W's contents are the same as at the last call that came with
// the same stamp, so the kernel may skip comparing W with its saved copy.
// Why: at batch-1 inference that compare read every weight twice per call (1 MiB W + 1 MiB copy
// at conv64's 128→128 layer): ~8% of the IDM forward, with weights that never change there.
// Who promises: the plan executor (native/runtime/executor.cpp), for forward convs whose W no
// instruction of its tape touches, under a stamp it renews whenever the arena may have been
// written from outside (lam_plan_arena). Stamps come from one process-wide counter, so a stamp
// never names two different arenas, even when a freed plan's memory is reused.
// 0 = no promise (every other caller): the kernel validates W by content as before.
#ifndef LAMKIT_WEIGHT_STAMP_H
#define LAMKIT_WEIGHT_STAMP_H

#include <stdint.h>

namespace lamkit {

// A stamp never handed out before (never 0).
uint64_t new_weight_stamp();

// The stamp of the kernel call in progress on this thread (0 outside a WeightStampScope).
uint64_t weight_stamp();

// Sets this thread's stamp for the duration of one kernel call.
class WeightStampScope {
 public:
  explicit WeightStampScope(uint64_t stamp);
  ~WeightStampScope();
  WeightStampScope(const WeightStampScope&) = delete;
  WeightStampScope& operator=(const WeightStampScope&) = delete;

 private:
  uint64_t prev_;
};

}  // namespace lamkit

#endif
