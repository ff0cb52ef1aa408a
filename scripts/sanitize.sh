#!/usr/bin/env bash
# Runs the native C++ kernel tests (native/tests/*_test.cpp, the same ctest set as `npm test`)
# under AddressSanitizer + UndefinedBehaviorSanitizer, then one small test binary under valgrind
# memcheck. Any ASan/UBSan report, leak, or valgrind error makes the script exit non-zero.
#
#   scripts/sanitize.sh                 # stages asan,valgrind
#   LAMKIT_SANITIZE_STAGES=asan scripts/sanitize.sh      # only the sanitizer ctest run
#   LAMKIT_SANITIZE_STAGES=valgrind scripts/sanitize.sh  # only valgrind
#   LAMKIT_SANITIZE_STAGES=addon scripts/sanitize.sh     # the Node addon under ASan+UBSan
#
# The addon stage builds lamkit.node with the same sanitizer flags (cmake-js, build-sanitize-addon/)
# and runs vitest files through it (LD_PRELOAD of the sanitizer runtimes, LAMKIT_ADDON_PATH), so
# the kernels and the tape executor are checked on the tapes the engine really emits. Leak
# detection is off there: Node itself keeps allocations until exit. Needs `npm run build:ts`.
#
# Environment:
#   LAMKIT_BUILD_JOBS       compile parallelism (default 2: the machine is shared)
#   LAMKIT_SANITIZE_DIR     sanitizer build dir (default build-sanitize/)
#   LAMKIT_VALGRIND_DIR     valgrind build dir (default build-valgrind/)
#   LAMKIT_VALGRIND_TEST    test binary run under valgrind (default executor_test: tape decode,
#                           arena, dispatch and the thread pool in one small program)
#   LAMKIT_CTEST_ARGS       extra ctest arguments (e.g. "-R matmul")
#   LAMKIT_SANITIZE_VITEST  test files for the addon stage (default: test/kernels and
#                           test/hardening/corrupted-tapes.test.ts)
# Separate build dirs keep the Release addon in build/ untouched. CUDA is off: the sanitizers
# instrument host code only.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
jobs=${LAMKIT_BUILD_JOBS:-2}
stages=${LAMKIT_SANITIZE_STAGES:-asan,valgrind}
san_dir=${LAMKIT_SANITIZE_DIR:-$root/build-sanitize}
vg_dir=${LAMKIT_VALGRIND_DIR:-$root/build-valgrind}
vg_test=${LAMKIT_VALGRIND_TEST:-executor_test}
# The kernels pick their thread count from LAMKIT_THREADS; 2 exercises the pool without
# oversubscribing a shared machine.
export LAMKIT_THREADS=${LAMKIT_THREADS:-2}

need() { command -v "$1" >/dev/null 2>&1 || { echo "sanitize.sh: '$1' not found on PATH (needed for $2)" >&2; exit 2; }; }
need cmake "the builds"
need ctest "the sanitizer test run"

status=0

if [[ ",$stages," == *",asan,"* ]]; then
  san_flags="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined -g"
  echo "== sanitize: configuring $san_dir ($san_flags)"
  # RelWithDebInfo (-O2 -g): optimised like the shipped build so vectorised paths are the ones
  # checked, with line numbers in the reports.
  cmake -S "$root" -B "$san_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLAMKIT_CUDA=OFF -DLAMKIT_TESTS=ON \
    -DCMAKE_CXX_FLAGS="$san_flags" -DCMAKE_C_FLAGS="$san_flags" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
  echo "== sanitize: building (-j$jobs)"
  cmake --build "$san_dir" --parallel "$jobs"
  # Leaks, any ASan error and any UBSan report fail the test (exit code 23 marks a sanitizer exit).
  export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:exitcode=23:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1:abort_on_error=0"
  export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=23"
  export LSAN_OPTIONS="exitcode=23"
  # Canaries: a heap overflow, a leak and a signed overflow built with the same flags must each
  # be caught, so a passing run means the sanitizers were really watching (LSan, for one, is
  # silently off under some ptrace/container setups).
  canary_src="$san_dir/canary.cpp"
  cat >"$canary_src" <<'CPP'
#include <cstdlib>
#include <cstring>
int main(int argc, char** argv) {
  volatile int which = argc > 1 ? atoi(argv[1]) : 0;
  if (which == 1) { int* p = (int*)malloc(4 * sizeof(int)); volatile int i = 4; p[i] = 1; free(p); }
  if (which == 2) { void* volatile p = malloc(64); memset(p, 1, 64); p = nullptr; }
  if (which == 3) { volatile int big = 0x7fffffff; volatile int r = big + argc; (void)r; }
  return 0;
}
CPP
  # shellcheck disable=SC2086
  "${CXX:-c++}" $san_flags -O1 "$canary_src" -o "$san_dir/canary" -fsanitize=address,undefined
  for c in 1:heap-buffer-overflow 2:leak 3:signed-overflow; do
    set +e
    "$san_dir/canary" "${c%%:*}" >/dev/null 2>&1
    rc=$?
    set -e
    if [[ $rc -ne 23 ]]; then
      echo "sanitize.sh: the ${c#*:} canary exited $rc, expected 23: the sanitizer does not catch errors here" >&2
      exit 1
    fi
  done
  echo "== sanitize: canaries caught (heap-buffer-overflow, leak, signed-overflow)"
  echo "== sanitize: ctest under ASan+UBSan (ASAN_OPTIONS=$ASAN_OPTIONS)"
  # shellcheck disable=SC2086
  if ! ctest --test-dir "$san_dir" --output-on-failure ${LAMKIT_CTEST_ARGS:-}; then
    echo "sanitize.sh: ctest under ASan/UBSan FAILED (see the reports above)" >&2
    status=1
  fi
fi

if [[ ",$stages," == *",valgrind,"* ]]; then
  need valgrind "the memcheck stage"
  echo "== valgrind: configuring $vg_dir (no sanitizers: valgrind cannot run ASan binaries)"
  cmake -S "$root" -B "$vg_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLAMKIT_CUDA=OFF -DLAMKIT_TESTS=ON >/dev/null
  cmake --build "$vg_dir" --parallel "$jobs" --target "$vg_test"
  vg=(valgrind --tool=memcheck --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect
      --errors-for-leak-kinds=definite,indirect --track-origins=yes --quiet)
  # Canary: a definite leak must make memcheck exit 99.
  printf '#include <cstdlib>\n#include <cstring>\nint main(){void* volatile p=malloc(64);memset(p,1,64);p=nullptr;return 0;}\n' >"$vg_dir/canary.cpp"
  "${CXX:-c++}" -O1 -g "$vg_dir/canary.cpp" -o "$vg_dir/canary"
  set +e
  "${vg[@]}" "$vg_dir/canary" >/dev/null 2>&1
  rc=$?
  set -e
  if [[ $rc -ne 99 ]]; then echo "sanitize.sh: valgrind missed the leak canary (exit $rc, expected 99)" >&2; exit 1; fi
  echo "== valgrind: canary caught; memcheck $vg_test"
  if ! "${vg[@]}" "$vg_dir/$vg_test"; then
    echo "sanitize.sh: valgrind memcheck of $vg_test FAILED (see the report above)" >&2
    status=1
  fi
fi

if [[ ",$stages," == *",addon,"* ]]; then
  addon_dir=${LAMKIT_SANITIZE_ADDON_DIR:-$root/build-sanitize-addon}
  addon_flags="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined -g"
  echo "== addon: building lamkit.node with $addon_flags in $addon_dir (-j$jobs)"
  node "$root/node_modules/cmake-js/bin/cmake-js" build --directory "$root" --out "$addon_dir" --config RelWithDebInfo \
    --parallel "$jobs" --CDLAMKIT_TESTS=OFF --CDLAMKIT_CUDA=OFF "--CDCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -DNDEBUG $addon_flags" \
    "--CDCMAKE_SHARED_LINKER_FLAGS=-fsanitize=address,undefined" >"$addon_dir.log" 2>&1 ||
    { tail -30 "$addon_dir.log" >&2; echo "sanitize.sh: the sanitizer addon build failed (log: $addon_dir.log)" >&2; exit 1; }
  addon="$addon_dir/RelWithDebInfo/lamkit.node"
  [[ -f "$addon" ]] || { echo "sanitize.sh: $addon missing after the build" >&2; exit 1; }
  cxx=${CXX:-c++}
  preload="$("$cxx" -print-file-name=libasan.so) $("$cxx" -print-file-name=libubsan.so)"
  san_env=(env LD_PRELOAD="$preload" LAMKIT_ADDON_PATH="$addon"
    ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:exitcode=23" UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1")
  # The addon must really be the instrumented one, and load under the preloaded runtimes.
  "${san_env[@]}" node --input-type=module -e "
    const m = await import('$root/dist/src/backends/native.js');
    const r = m.loadNativeAddon();
    if (!r.addon || r.path !== '$addon') { console.error('sanitize.sh: the sanitizer addon did not load: ' + (r.reason ?? r.path)); process.exit(1); }" ||
    exit 1
  # cmake-js replaces CMAKE_CXX_FLAGS, hence the flags in the per-config variable above; check they
  # landed (grep -c, not -q: an early exit would SIGPIPE objdump and fail the pipe under pipefail).
  objdump -d "$addon" | grep -c __asan_report >/dev/null || { echo "sanitize.sh: $addon has no ASan instrumentation" >&2; exit 1; }
  # shellcheck disable=SC2206
  files=(${LAMKIT_SANITIZE_VITEST:-test/kernels test/hardening/corrupted-tapes.test.ts})
  echo "== addon: vitest ${files[*]} under ASan+UBSan"
  if ! (cd "$root" && "${san_env[@]}" npx vitest run --maxWorkers=1 "${files[@]}"); then
    echo "sanitize.sh: vitest with the sanitizer addon FAILED (a sanitizer report above, if any, names the bug)" >&2
    status=1
  fi
fi

if [[ $status -eq 0 ]]; then echo "sanitize.sh: OK (stages: $stages)"; fi
exit $status
