import { resolve } from "node:path";
import { defineConfig } from "vite";

const here = import.meta.dirname;

// The embeddable widget: one self-contained script, dist/widget.js, beside the app's build (run after it, so
// emptyOutDir stays false). Its name is not hashed: sites link it by a fixed URL (the server caches it 5 min).
export default defineConfig({
  root: here,
  publicDir: false,
  build: {
    outDir: resolve(here, "../dist"),
    emptyOutDir: false,
    sourcemap: false,
    lib: {
      entry: resolve(here, "main.ts"),
      formats: ["iife"],
      name: "ChatbotWidget",
      fileName: () => "widget.js",
    },
  },
});
