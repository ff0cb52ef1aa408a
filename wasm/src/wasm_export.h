// LAM_WASM_EXPORT marks a wasm-only entry point (lam_wasm_*): wasm/build.mjs scans the sources
// for it and exports each one by name, beside the C ABI of kernels.h and executor.h.
#ifndef LAMKIT_WASM_EXPORT_H
#define LAMKIT_WASM_EXPORT_H

#define LAM_WASM_EXPORT extern "C" __attribute__((used, visibility("default")))

#endif
