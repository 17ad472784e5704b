/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The Go server (package frontend) serves the build from dist/app: it renders
// public/index.html as an html/template and takes the hashed entry names from
// dist/app/.vite/manifest.json. dist/placeholder.html sits outside outDir
// because Vite empties outDir on every build.
const devServerOrigin = "http://localhost:5173";

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "dist/app",
    emptyOutDir: true,
    assetsDir: "assets",
    manifest: true,
    rollupOptions: {
      input: "src/main.tsx",
    },
  },
  server: {
    // `npm run dev` serves modules only; the Go server (with its dev-server
    // URL set) renders index.html and loads the entry from here.
    port: 5173,
    strictPort: true,
    origin: devServerOrigin,
    cors: { origin: /^http:\/\/(localhost|127\.0\.0\.1)(:\d+)?$/ },
  },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["src/test/setup.ts"],
    restoreMocks: true,
    unstubGlobals: true,
  },
});
