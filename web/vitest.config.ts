import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "src/**/*.test.tsx"],
    benchmark: { include: ["bench/**/*.bench.ts"] },
    environment: "node",
  },
});
