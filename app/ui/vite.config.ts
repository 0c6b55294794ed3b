import { defineConfig } from "vite";
import preact from "@preact/preset-vite";

// The app is served under /app/ by rapport-server, next to the worker and the wasm glue
// (scripts/build-app copies dist/ into app/dist/). Everything is a file: the content
// security policy allows no inline script or style, so nothing is inlined. Asset paths are
// absolute (/app/assets/…): every screen's URL (/app/visits/today) serves the same page.
// The mock build (`--mode mock`, served at the root by scripts/serve.mjs) stays relative.
export default defineConfig(({ mode }) => ({
  base: mode === "mock" ? "./" : "/app/",
  plugins: [preact({ prefreshEnabled: false, devToolsEnabled: false })],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: "es2021",
    sourcemap: false,
  },
}));
