// Vite plugin: after the build, writes a gzip (.gz) and a brotli (.br) copy
// next to each compressible output file, at the highest levels (this runs
// once per build, not per request). The Go server (package frontend) serves
// the copy the browser accepts (Accept-Encoding) and the original
// otherwise. A copy is kept only when it saves at least 10%; index.html is
// left alone, because the server renders it as a template.
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Plugin } from "vite";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const compressible = /\.(js|mjs|css|svg|json|txt|map|wasm)$/;
const minBytes = 1024;

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) {
      if (!name.startsWith(".")) yield* files(full);
    } else {
      yield full;
    }
  }
}

export function precompress(outDir: string): Plugin {
  return {
    name: "mailbridge-precompress",
    apply: "build",
    closeBundle() {
      for (const file of files(outDir)) {
        if (!compressible.test(file)) continue;
        const raw = readFileSync(file);
        if (raw.length < minBytes) continue;
        const variants: Record<string, Buffer> = {
          gz: gzipSync(raw, { level: 9 }),
          br: brotliCompressSync(raw, {
            params: {
              [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
              [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
            },
          }),
        };
        for (const [ext, data] of Object.entries(variants)) {
          if (data.length <= raw.length * 0.9) writeFileSync(`${file}.${ext}`, data);
        }
      }
    },
  };
}
