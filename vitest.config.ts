import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Kernel tests spawn native thread pools; running files in parallel on 2 cores only adds noise.
    fileParallelism: false,
    reporters: ['default'],
  },
});
