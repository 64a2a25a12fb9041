import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The forward-pass tests on the reference backend are CPU-bound; parallel files on a 2-core machine only fight.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
