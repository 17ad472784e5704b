/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";
import { precompress } from "./scripts/precompress";

// The Go server (package frontend) serves the build from dist/app: it renders
// public/index.html as an html/template and takes the hashed entry names from
// dist/app/.vite/manifest.json. dist/placeholder.html sits outside outDir
// because Vite empties outDir on every build.
const devServerOrigin = "http://localhost:5173";

// `make dev`: the browser talks only to the Vite dev server, which serves the
// app's modules (hot reload) and proxies everything else to the Go server in
// demo mode: the API (/graphql, /auth/*, health checks) and page navigations,
// for which the Go server renders index.html with FRONTEND_DEV_SERVER set so
// that it loads the entry from here.
const goServer = process.env.MAILBRIDGE_URL ?? "http://localhost:8080";
const viteOwn = /^\/(@|src\/|node_modules\/|favicon\.svg)/;
const goPaths = /^\/(graphql|auth|healthz|readyz)(\/|\?|$)/;

export default defineConfig({
  // precompress writes .gz and .br copies of the build for the Go server.
  plugins: [react(), precompress("dist/app")],
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
    proxy: {
      "^/.*": {
        target: goServer,
        // Vite serves its own modules; the Go server gets the API and page
        // navigations (HTML requests).
        bypass: (req) => {
          const url = req.url ?? "/";
          if (viteOwn.test(url)) return url;
          if (goPaths.test(url) || (req.headers.accept ?? "").includes("text/html")) return undefined;
          return url;
        },
        configure: (proxy) => {
          // The page's Content-Security-Policy forbids the inline React
          // Refresh preamble that development needs; production keeps it.
          proxy.on("proxyRes", (res) => {
            delete res.headers["content-security-policy"];
          });
        },
      },
    },
  },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["src/test/setup.ts"],
    restoreMocks: true,
    unstubGlobals: true,
  },
});
