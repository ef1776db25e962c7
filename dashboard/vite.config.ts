import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The dashboard SPA. Preact's JSX through Vite's own transformer (no Babel preset needed).
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // Relative asset URLs: the same build serves at `/` on CloudFront and on the local port.
  base: './',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', emptyOutDir: true, reportCompressedSize: true, sourcemap: false },
  logLevel: 'warn',
});
