#!/usr/bin/env node
/**
 * Runs the C++ kernel tests (ctest) in build/ when the native build produced them, printing
 * ctest's summary; exits non-zero when a test fails. Without a build or without ctest it prints
 * why it skipped and exits 0 (the reference backend needs no native code).
 * LAMKIT_CTEST_ARGS adds arguments (e.g. "-R matmul").
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const build = join(root, 'build');

if (!existsSync(join(build, 'CTestTestfile.cmake'))) {
  console.log('lamkit: ctest skipped (no native build in build/; run `npm run build:native`)');
  process.exit(0);
}
if (!existsSync(join(build, '.lamkit-native-ok'))) {
  console.log('lamkit: ctest skipped (the last native build did not complete; see `npm run build:native`)');
  process.exit(0);
}
if (spawnSync('ctest', ['--version']).status !== 0) {
  console.log('lamkit: ctest skipped (ctest not found on PATH)');
  process.exit(0);
}
const extra = (process.env.LAMKIT_CTEST_ARGS || '').split(/\s+/).filter(Boolean);
const r = spawnSync('ctest', ['--test-dir', build, '--output-on-failure', '-C', 'Release', ...extra], { stdio: 'inherit' });
if (r.error) {
  console.error(`lamkit: ctest could not run: ${r.error.message}`);
  process.exit(1);
}
process.exit(r.status ?? 1);
