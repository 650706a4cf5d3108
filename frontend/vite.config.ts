import { resolve } from "node:path";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

const here = import.meta.dirname;

// Three pages (/, /dashboard, /chat) share one bundle graph; the Go binary embeds dist/ and maps each route to
// its HTML file. Hashed file names let the server cache /assets/* for a year. The embeddable widget
// (dist/widget.js) has its own config, widget/vite.config.ts, built after this one.
export default defineConfig({
  root: resolve(here, "app"),
  publicDir: resolve(here, "app/public"),
  base: "/",
  plugins: [react()],
  resolve: {
    // The app builds the SDK from source; the SDK's own dist/ is for other TypeScript programs.
    alias: { "@chatbot-platform/sdk": resolve(here, "sdk/src/index.ts") },
  },
  build: {
    outDir: resolve(here, "dist"),
    emptyOutDir: true,
    assetsDir: "assets",
    sourcemap: false,
    // Every browser this targets supports <link rel="modulepreload">; the polyfill would only add bytes.
    modulePreload: { polyfill: false },
    rolldownOptions: {
      output: {
        // React changes less often than the app: its own chunk stays cached across app releases.
        codeSplitting: { groups: [{ name: "react", test: /node_modules[\\/](react|react-dom|scheduler)[\\/]/ }] },
      },
      input: {
        index: resolve(here, "app/index.html"),
        dashboard: resolve(here, "app/dashboard.html"),
        chat: resolve(here, "app/chat.html"),
        account: resolve(here, "app/account.html"),
        recover: resolve(here, "app/recover.html"),
      },
    },
  },
  test: {
    root: here,
    include: ["sdk/test/**/*.test.ts", "app/src/**/*.test.{ts,tsx}", "widget/**/*.test.ts", "scripts/**/*.test.ts"],
    environment: "node",
  },
});
