import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    testTimeout: 60_000,
    // Hooks start language servers and worker processes from the sources (tsx): seconds on a busy machine.
    hookTimeout: 60_000,
  },
});
