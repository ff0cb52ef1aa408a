/**
 * Shared argument helpers of the same-process A/B scripts (benchmarks/train/ab.mjs,
 * benchmarks/onnx/idm-ab.mjs): positive-integer flags and the --env-a / --env-b switches
 * (NAME=VALUE set only while that side runs; the other side sees the original value).
 */

/** Prints `script: msg` and exits with status 2. */
export function failWith(script) {
  return (msg) => {
    console.error(`${script}: ${msg}`);
    process.exit(2);
  };
}

/** The flag's value as a positive integer, or exit naming the flag and the value seen. */
export function positiveArg(fail, flag, v) {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) fail(`--${flag} must be a positive integer, got '${v}'`);
  return n;
}

/**
 * Parses values['env-a'] / values['env-b'] (each NAME=VALUE or absent); returns applyEnv(k)
 * that restores both names, then sets side k's ('a' or 'b'; null: restore only).
 */
export function envSwitches(values, fail) {
  const spec = (flag) => {
    const v = values[flag];
    if (v === undefined) return null;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(v);
    if (!m) fail(`--${flag} must be NAME=VALUE, got '${v}'`);
    return { name: m[1], value: m[2], original: process.env[m[1]] };
  };
  const envs = { a: spec('env-a'), b: spec('env-b') };
  const applyEnv = (k) => {
    for (const e of [envs.a, envs.b]) {
      if (!e) continue;
      if (e.original === undefined) delete process.env[e.name];
      else process.env[e.name] = e.original;
    }
    if (k && envs[k]) process.env[envs[k].name] = envs[k].value;
  };
  return { envs, applyEnv };
}
