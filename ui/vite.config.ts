import { svelte } from "@sveltejs/vite-plugin-svelte";
import { defineConfig } from "vitest/config";

// The Tauri shell loads http://localhost:1420 in development and `ui/dist` when built
// (see tauri.conf.json: devUrl and frontendDist), so the port is fixed and must not drift.
export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  server: {
    port: 1420,
    strictPort: true,
    host: "localhost",
    watch: {
      // The Rust side changes often; Vite has no business watching it.
      ignored: ["**/target/**", "**/src-tauri/**", "**/crates/**"],
    },
  },
  preview: {
    port: 1420,
    strictPort: true,
  },
  envPrefix: ["VITE_", "TAURI_ENV_"],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // WebKitGTK 2.40+ (Debian 12), WebView2 and recent WKWebView all handle ES2022.
    target: "es2022",
    sourcemap: false,
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
