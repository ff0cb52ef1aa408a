/*
 * lamkit CUDA plan executor C ABI — the tape of executor.h / opcodes.h run on an NVIDIA GPU.
 * Plain C (no CUDA headers needed): the addon and the tests include it from ordinary C++.
 *
 * The arena (parameters, optimiser state, gradients, activations, feed slot, step counter)
 * lives in device memory for the life of the plan. The first run records one step into a
 * CUDA graph (stream capture) — two graphs, one per feed/output double buffer — and every step
 * after that is one graph launch. Feeds are staged through pinned host memory and uploaded on a
 * second stream while the previous step computes; outputs come back through pinned memory.
 * CHECK_FINITE and the gather/scatter index checks set a device flag that is read back with
 * each step's outputs; the run then fails naming the step and the tag (at most one further
 * step may already have been launched by then: its results are discarded, the arena is not).
 *
 * Environment: LAMKIT_CUDA_DEVICE (ordinal, default 0); LAMKIT_CUDA_GRAPHS=0 runs eagerly;
 * LAMKIT_CUDA_DEBUG=1 runs eagerly and synchronises after every instruction so a failing
 * kernel is reported with its op name and operands; LAMKIT_CUDA_GEMM=1|2|3 picks the SGEMM.
 */
#ifndef LAMKIT_CUDA_EXECUTOR_H
#define LAMKIT_CUDA_EXECUTOR_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lam_cuda_device_info {
  int available;        /* 1 when a usable device was found */
  int device_count;
  int ordinal;          /* the device described */
  char name[256];
  int64_t total_bytes, free_bytes;
  int cc_major, cc_minor;
  int multiprocessors;
  int driver_version;   /* CUDA ints: 12040 = 12.4; 0 when no driver */
  int runtime_version;
  int clock_khz, memory_clock_khz, memory_bus_bits;  /* as reported; 0 when unknown */
  int64_t l2_bytes;
  char reason[512];     /* why not available (the discovery error), empty otherwise */
} lam_cuda_device_info;

/* Never fails: fills `info` (available = 0 and `reason` on any discovery error). */
void lam_cuda_get_device_info(lam_cuda_device_info* info);

typedef struct lam_cuda_plan lam_cuda_plan;

/* Validates the tape (opcodes, word counts, every pointer range inside the arena), picks the
 * device, allocates and zero-fills the arena. NULL + message on failure (out of memory names
 * the bytes requested and the bytes free). */
lam_cuda_plan* lam_cuda_plan_create(const int32_t* tape, int64_t tape_words, int64_t arena_floats,
                                    char* err, int64_t errlen);
void lam_cuda_plan_destroy(lam_cuda_plan* plan);
int64_t lam_cuda_plan_arena_floats(const lam_cuda_plan* plan);
/* Floats one step reads from its feed block / writes to its output block (from the tape). */
int64_t lam_cuda_plan_feed_floats(const lam_cuda_plan* plan);
int64_t lam_cuda_plan_out_floats(const lam_cuda_plan* plan);

/* Copies arena[offset, offset+count) to/from host memory (synchronises first). 0 or nonzero
 * with a message. */
int lam_cuda_plan_arena_read(lam_cuda_plan* plan, int64_t offset, int64_t count, float* dst,
                             char* err, int64_t errlen);
int lam_cuda_plan_arena_write(lam_cuda_plan* plan, int64_t offset, int64_t count, const float* src,
                              char* err, int64_t errlen);

/* Same contract as lam_plan_run: step i reads feeds + i·feed_stride, writes outputs +
 * i·out_stride. Returns 0, or nonzero with *failed_step and a message. Blocks until done. */
int lam_cuda_plan_run(lam_cuda_plan* plan, const float* feeds, int64_t feed_stride, float* outputs,
                      int64_t out_stride, int64_t steps, int64_t* failed_step, char* err,
                      int64_t errlen);

/* 1 when the plan replays CUDA graphs, 0 when it runs eagerly (env or debug). */
int lam_cuda_plan_uses_graphs(const lam_cuda_plan* plan);

#ifdef __cplusplus
}
#endif

#endif /* LAMKIT_CUDA_EXECUTOR_H */
