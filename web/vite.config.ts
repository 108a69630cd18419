// Build of the Schulhof web client: Svelte 5, output in web/dist; livekit-client stays in its own chunk (loaded when a call starts).
// The About footer's facts (commit, source address) are set here; scripts/about.ts writes the licence notices into the build.
import { svelte } from "@sveltejs/vite-plugin-svelte";
import { defineConfig } from "vite";
import { aboutFiles, buildCommit, sourceUrl } from "./scripts/about.ts";

const commit = buildCommit();
const source = sourceUrl();

export default defineConfig({
  plugins: [svelte(), aboutFiles(commit, source === null)],
  define: {
    __SCHULHOF_COMMIT__: JSON.stringify(commit),
    __SCHULHOF_SOURCE_URL__: JSON.stringify(source ?? `/source/schulhof-${commit.slice(0, 12)}.tar.gz`),
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: true,
    chunkSizeWarningLimit: 2000,
  },
  server: { host: "127.0.0.1", port: 5173, strictPort: false },
  preview: { host: "127.0.0.1" },
});
