// Builds the renderer into dist/renderer (loaded by the desktop app from its own
// protocol, and served by the browser harness). Relative paths, no inline script,
// no module-preload polyfill, nothing fetched from outside.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [react()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    target: 'chrome120',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: true,
    chunkSizeWarningLimit: 1024,
  },
});
