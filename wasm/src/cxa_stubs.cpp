// C++ runtime hooks the wasm32-wasip1 sysroot's libc++abi (built without exceptions or threads)
// does not define, though code compiled with exceptions on still references them:
//   __cxa_allocate_exception / __cxa_throw: a throw (e.g. std::vector length_error) traps, as
//     it would with -fno-exceptions; allocation failure is reported through new (std::nothrow).
//   __cxa_thread_atexit: thread_local destructors (GEMM pack buffers) are never run; worker
//     threads live as long as the module, and their memory dies with it.
#include <stddef.h>
#include <stdlib.h>

extern "C" {
void* __cxa_allocate_exception(size_t) { abort(); }
void __cxa_throw(void*, void*, void (*)(void*)) { abort(); }
int __cxa_thread_atexit(void (*)(void*), void*, void*) { return 0; }
}
