#!/usr/bin/env node
/**
 * Builds the native addon (build/Release/lamkit.node) and the C++ ctest binaries with cmake-js
 * in Release mode, Node-API (node-api-headers, no header download).
 *
 * This script never fails an install: on any failure (no cmake, no compiler, a compile error,
 * an addon that does not load) it prints
 *   lamkit: native addon not built (<reason>); using the reference backend
 * and exits 0. Environment:
 *   LAMKIT_SKIP_NATIVE=1    skip the build entirely
 *   LAMKIT_NATIVE_STRICT=1  exit 1 on failure instead (CI of the native part)
 *   LAMKIT_BUILD_JOBS=N     compile parallelism (default 2: the machine is shared)
 *   LAMKIT_CUDA=0           do not compile native/cuda even when nvcc exists
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const strict = process.env.LAMKIT_NATIVE_STRICT === '1';

function giveUp(reason) {
  console.warn(`lamkit: native addon not built (${reason}); using the reference backend`);
  process.exit(strict ? 1 : 0);
}

function has(cmd, args = ['--version']) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? (r.stdout || '').split('\n')[0] : null;
}

if (process.env.LAMKIT_SKIP_NATIVE === '1') {
  console.log('lamkit: LAMKIT_SKIP_NATIVE=1, native addon not built; using the reference backend');
  process.exit(0);
}

const cmake = has('cmake');
if (!cmake) giveUp('cmake not found on PATH; install cmake ≥ 3.18');
const cxx = has(process.env.CXX || 'c++') || has('g++') || has('clang++');
if (!cxx) giveUp('no C++ compiler found (c++, g++ or clang++)');

let cmakeJs;
try {
  cmakeJs = join(dirname(require.resolve('cmake-js/package.json')), 'bin', 'cmake-js');
} catch {
  giveUp('the cmake-js package is not installed');
}

// Marks a complete build for scripts/run-ctest.mjs: removed now, written only on success, so a
// failed build never leaves ctest running half-built test binaries.
const marker = join(root, 'build', '.lamkit-native-ok');
rmSync(marker, { force: true });

const jobs = String(Number(process.env.LAMKIT_BUILD_JOBS) > 0 ? Number(process.env.LAMKIT_BUILD_JOBS) : 2);
const args = [cmakeJs, 'build', '--directory', root, '--out', join(root, 'build'), '--config', 'Release', '--parallel', jobs, '--CDLAMKIT_TESTS=ON'];
if (process.env.LAMKIT_CUDA === '0') args.push('--CDLAMKIT_CUDA=OFF');
console.log(`lamkit: building the native addon (${cmake}; ${cxx}; -j${jobs})`);
const t0 = Date.now();
const env = { ...process.env, CMAKE_BUILD_PARALLEL_LEVEL: jobs };
let r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env });
if (r.error) giveUp(`cmake-js could not start: ${r.error.message}`);
if (r.status !== 0 && !args.includes('--CDLAMKIT_CUDA=OFF')) {
  // A CUDA toolchain problem must not cost the CPU addon: retry once without native/cuda.
  console.warn(`lamkit: the build with CUDA failed (status ${r.status}); retrying without CUDA (native-cuda will be unavailable)`);
  r = spawnSync(process.execPath, [...args, '--CDLAMKIT_CUDA=OFF'], { cwd: root, stdio: 'inherit', env });
}
if (r.status !== 0) giveUp(`cmake-js exited with status ${r.status}; see the compiler output above`);

const addon = join(root, 'build', 'Release', 'lamkit.node');
if (!existsSync(addon)) giveUp(`the build finished but ${addon} is missing`);
// Load it in a child process: a broken binary must not take this script down with it.
const probe = spawnSync(process.execPath, ['-e', `const a=require(${JSON.stringify(addon)});console.log(typeof a.Plan==='function'?'ok':'no Plan export')`], { encoding: 'utf8' });
if (probe.status !== 0 || probe.stdout.trim() !== 'ok')
  giveUp(`the addon was built but does not load: ${(probe.stderr || probe.stdout).trim().split('\n').slice(0, 3).join(' | ')}`);
mkdirSync(dirname(marker), { recursive: true });
writeFileSync(marker, `${new Date().toISOString()}\n`);
console.log(`lamkit: native addon built in ${((Date.now() - t0) / 1000).toFixed(1)} s → build/Release/lamkit.node`);
