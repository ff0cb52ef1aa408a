// The opcode table exists twice: src/ops/opcodes.ts and native/include/lamkit/opcodes.h. This
// parses the header and checks both agree, and that every contract's opcode and signature match.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { OPS } from '../../src/ops/index.js';
import { OP_IDS, OP_OPCODES, SPECIAL_OPCODES } from '../../src/ops/opcodes.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const header = readFileSync(join(root, 'native/include/lamkit/opcodes.h'), 'utf8');
const parsed = new Map<string, number>();
for (const m of header.matchAll(/LAM_OP_([A-Z0-9_]+)\s*=\s*(\d+)/g)) parsed.set(m[1], Number(m[2]));

describe('opcodes.h ↔ opcodes.ts', () => {
  it('every TS opcode is in the header with the same number', () => {
    for (const [k, v] of Object.entries(SPECIAL_OPCODES)) expect(parsed.get(k), k).toBe(v);
    for (const [k, v] of Object.entries(OP_OPCODES)) expect(parsed.get(k.toUpperCase()), k).toBe(v);
  });
  it('the header has nothing the TS table lacks (besides LAM_OP_MAX)', () => {
    const ts = new Set([...Object.keys(SPECIAL_OPCODES), ...Object.keys(OP_OPCODES).map((k) => k.toUpperCase()), 'MAX']);
    for (const k of parsed.keys()) expect(ts.has(k), `LAM_OP_${k} missing from src/ops/opcodes.ts`).toBe(true);
    expect(parsed.get('MAX')).toBe(Math.max(...Object.values(OP_OPCODES)) + 1);
  });
  it('opcodes are unique', () => {
    const all = [...Object.values(SPECIAL_OPCODES), ...Object.values(OP_OPCODES)];
    expect(new Set(all).size).toBe(all.length);
  });
  it('every op id has a contract with its opcode, and a kernel in kernels.h', () => {
    const kernels = readFileSync(join(root, 'native/include/lamkit/kernels.h'), 'utf8');
    for (const id of OP_IDS) {
      expect(OPS[id].id).toBe(id);
      expect(OPS[id].opcode).toBe(OP_OPCODES[id]);
      expect(kernels, `lam_f32_${id} in kernels.h`).toMatch(new RegExp(`\\blam_f32_${id}\\(`));
    }
  });
  it('contract signatures match the C executor operand kinds', () => {
    const exe = readFileSync(join(root, 'native/runtime/executor.cpp'), 'utf8');
    const code: Record<string, string> = { 'f32*': 'p', 'f32*?': 'q', 'i32*': 'i', int: 'n', float: 'f' };
    const kernels = readFileSync(join(root, 'native/include/lamkit/kernels.h'), 'utf8');
    for (const id of OP_IDS) {
      const m = exe.match(new RegExp(`\\{"${id}", "([pqrinf]+)"\\}`));
      expect(m, `${id} in executor.cpp`).not.toBeNull();
      // The executor splits f32* into r (only read) and p (written): the feed aliasing relies on it.
      expect(OPS[id].signature.map((k) => code[k]).join(''), id).toBe(m![1].replace(/r/g, 'p'));
      // r and q must be const in kernels.h, p must not: a write marked r would land in the caller's feeds.
      const params = kernels.match(new RegExp(`\\blam_f32_${id}\\(([^)]*)\\)`))![1].split(',').map((x) => x.trim());
      [...m![1]].forEach((k, i) => {
        if (k === 'r' || k === 'q') expect(params[i], `${id} operand ${i}`).toMatch(/^const float\s*\*/);
        if (k === 'p') expect(params[i], `${id} operand ${i}`).toMatch(/^float\s*\*/);
      });
    }
  });
});
