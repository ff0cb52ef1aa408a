// Weight stamps (weight_stamp.h): a process-wide counter and the calling thread's current stamp.
#include "weight_stamp.h"

#include <atomic>

namespace lamkit {

namespace {
std::atomic<uint64_t> g_next{1};
thread_local uint64_t t_stamp = 0;
}  // namespace

uint64_t new_weight_stamp() { return g_next.fetch_add(1, std::memory_order_relaxed); }

uint64_t weight_stamp() { return t_stamp; }

WeightStampScope::WeightStampScope(uint64_t stamp) : prev_(t_stamp) { t_stamp = stamp; }
WeightStampScope::~WeightStampScope() { t_stamp = prev_; }

}  // namespace lamkit
