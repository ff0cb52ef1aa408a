// Included first by the files whose vector and scalar builds must agree bit for bit (optim,
// mse): with -mfma, GCC and Clang would fuse a·b + c into one rounding in some builds and not
// others. Turns floating-point contraction off for the rest of the including file.
#ifndef LAMKIT_FP_CONTRACT_OFF_H
#define LAMKIT_FP_CONTRACT_OFF_H

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off")
#endif
#if defined(__clang__)
#pragma clang fp contract(off)
#endif

#endif
