/*
 * lamkit plan executor C ABI — runs a compiled training/inference step many times without
 * returning to JavaScript. Shared by the native addon (CPU), the WASM build and (with its own
 * implementation behind the same tape) the CUDA executor.
 *
 * A plan is a *tape* of int32 words produced by src/graph/plan.ts (encoding helpers in src/ops/tape.ts):
 *   [opcode, nwords, operand_0 … operand_{nwords−1}] repeated.
 * Operands follow the argument order of the kernel in kernels.h that the opcode names:
 *   - a pointer is an element offset into the arena (−1 = NULL),
 *   - an integer is the value itself (sizes < 2^31),
 *   - a float is its IEEE-754 bit pattern.
 * Opcodes are listed once in native/include/lamkit/opcodes.h and mirrored by
 * src/ops/opcodes.ts (a test checks they agree).
 *
 * The arena is one float32 buffer holding parameters, optimiser state, gradients,
 * activations, the feed slot of one step and the step counter; the planner lays it out
 * (src/graph/plan.ts). Parameters and optimiser state stay resident between runs.
 *
 * Each run executes `steps` steps: step i reads feeds + i·feed_stride (OP_FEED copies from
 * there into the arena) and writes outputs + i·out_stride (OP_OUTPUT copies out).
 */
#ifndef LAMKIT_EXECUTOR_H
#define LAMKIT_EXECUTOR_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lam_plan lam_plan;

/* Copies the tape; allocates and zero-fills an arena of arena_floats floats. Returns NULL
 * and writes a message to err (errlen bytes) on a malformed tape or an allocation failure. */
lam_plan* lam_plan_create(const int32_t* tape, int64_t tape_words, int64_t arena_floats,
                          char* err, int64_t errlen);
void lam_plan_destroy(lam_plan* plan);
/* The resident arena (read/write parameters and optimiser state through it). Each call counts
 * as a possible write: kernels that keep packed weights between runs (weight_stamp.h) recheck
 * them on the next run, so take the pointer again after writing rather than keeping it. */
float* lam_plan_arena(lam_plan* plan);
int64_t lam_plan_arena_floats(const lam_plan* plan);

/* Runs `steps` steps. Returns 0 on success; otherwise a nonzero code, the 0-based step that
 * failed in *failed_step, and a message in err (e.g. OP_CHECK_FINITE found NaN/Inf). */
int lam_plan_run(lam_plan* plan, const float* feeds, int64_t feed_stride,
                 float* outputs, int64_t out_stride, int64_t steps,
                 int64_t* failed_step, char* err, int64_t errlen);

/* Per-instruction wall time inside lam_plan_run, for profiling a whole step in place (the
 * arena, caches and thread pool exactly as in training). enable != 0 zeroes the counters and
 * starts timing; 0 stops it. Timing costs two clock reads per instruction. */
void lam_plan_profile(lam_plan* plan, int enable);
/* Seconds spent in each instruction since profiling was enabled, in tape order, into
 * seconds[0 … n); returns the number of instructions (call with n = 0 to size the buffer). */
int64_t lam_plan_profile_read(const lam_plan* plan, double* seconds, int64_t n);

#ifdef __cplusplus
}
#endif

#endif /* LAMKIT_EXECUTOR_H */
