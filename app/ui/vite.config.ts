import { defineConfig } from "vite";
import preact from "@preact/preset-vite";

// The app is served under /app/ by rapport-server, next to the worker and the wasm glue
// (scripts/build-app copies dist/ into app/dist/). Everything is a file: the content
// security policy allows no inline script or style, so nothing is inlined.
export default defineConfig({
  base: "./",
  plugins: [preact({ prefreshEnabled: false, devToolsEnabled: false })],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: "es2021",
    sourcemap: false,
  },
});
