#!/usr/bin/env bash
# Builds and runs benchmarks/kernels/gemm_ab.cpp: this tree's SGEMM against OpenBLAS and, when
# an old commit is named, that commit's SGEMM driver + micro-kernels in the same binary (their
# symbols renamed *_old by -D, the old headers first on the include path).
#   benchmarks/kernels/gemm_ab.sh [old-commit] [-- gemm_ab args: threads rounds ta,tb,M,N,K …]
# e.g. benchmarks/kernels/gemm_ab.sh 00cb3b9 -- 1 21
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
old=""
if [[ $# -gt 0 && $1 != "--" ]]; then old=$1; shift; fi
[[ $# -gt 0 && $1 == "--" ]] && shift
out=${TMPDIR:-/tmp}/lamkit-gemm-ab
rm -rf "$out" && mkdir -p "$out/old/kernels"
cxx="${CXX:-g++} -O3 -DNDEBUG -std=c++17 -I$root/native/include -I$root/native"
srcs=(kernels/matmul.cpp kernels/gemm_avx2.cpp kernels/gemm_pack_avx2.cpp kernels/gemm_scalar.cpp kernels/gemm_avx512.cpp
      kernels/gemm_direct_avx2.cpp runtime/thread_pool.cpp)
flags() { case $1 in *_avx2.cpp) echo "-mavx2 -mfma" ;; *_avx512.cpp) echo "-mavx512f -mavx512vl -mavx512bw -mavx512dq -mfma -mavx2" ;; esac; }
objs=()
for s in "${srcs[@]}"; do
  o="$out/$(basename "$s" .cpp).o"
  $cxx $(flags "$s") -c "$root/native/$s" -o "$o"
  objs+=("$o")
done
defs=""
if [[ -n $old ]]; then
  # Only the packed driver, its packers and micro-kernels are swapped; gemm_direct and the pool
  # are shared. Headers come along so the old sources compile against their own declarations.
  files=$(git -C "$root" ls-tree --name-only "$old" native/kernels/ | sed 's|native/kernels/||' |
          grep -E '^(matmul\.cpp|gemm.*\.(h|cpp)|vec_load\.h|transpose8_avx2\.h)$' | grep -v _wasm)
  for f in $files; do git -C "$root" show "$old:native/kernels/$f" > "$out/old/kernels/$f"; done
  ren="-Dsgemm=sgemm_old -Dlam_f32_matmul=lam_f32_matmul_old -Dlam_isa_name=lam_isa_name_old -Dlam_force_isa=lam_force_isa_old"
  for k in 14x32__avx512 6x16__avx2 4x16__wasmsimd 4x16__scalar; do ren="$ren -Dlam_f32_gemm_ukernel_$k=lam_f32_gemm_ukernel_${k}_old"; done
  for k in gemm_pack_a6_avx2 gemm_pack_b16_avx2; do ren="$ren -D$k=${k}_old"; done
  for f in $(echo "$files" | grep -E '^(matmul|gemm_(avx2|avx512|scalar|pack.*))\.cpp$'); do
    ${CXX:-g++} -O3 -DNDEBUG -std=c++17 -I"$out/old" -I"$root/native/include" -I"$root/native" $ren $(flags "$f") \
      -c "$out/old/kernels/$f" -o "$out/old/$f.o"
    objs+=("$out/old/$f.o")
  done
  defs="-DLAMKIT_AB_OLD"
fi
$cxx $defs "$root/benchmarks/kernels/gemm_ab.cpp" "${objs[@]}" -lopenblas -lpthread -o "$out/gemm_ab"
exec "$out/gemm_ab" "$@"
