// Vite: the Studio (index.html) and, with `--mode console`, the admin console entry
// (console.html) that the Tauri desktop app bundles.
//
// Development: `PACAI_DEV_API=http://127.0.0.1:5000 npm run dev` proxies /v5 (HTTP and the
// WebSocket) to a running `pacai serve`, so the app talks to it as same-origin.
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const api = process.env.PACAI_DEV_API ?? "http://127.0.0.1:5000";

export default defineConfig(({ mode }) => ({
  plugins: [react()],
  base: "/",
  build: {
    outDir: mode === "console" ? "dist-console" : "dist",
    // No inline data: URLs for assets: the app's CSP allows only 'self' for scripts and styles.
    assetsInlineLimit: 0,
    sourcemap: false,
    rollupOptions: {
      input: mode === "console" ? "console.html" : "index.html",
    },
  },
  server: {
    host: "127.0.0.1",
    strictPort: true,
    proxy: {
      "/v5": { target: api, ws: true, changeOrigin: false },
    },
  },
  preview: {
    host: "127.0.0.1",
    proxy: {
      "/v5": { target: api, ws: true, changeOrigin: false },
    },
  },
}));
