import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

/**
 * The gateway serves dist/ at /dashboard/ under a CSP with no 'unsafe-inline'
 * (packages/server/src/http/dashboard-static.ts), so the build must emit no
 * inline script or style: Vite's module-preload polyfill is an inline
 * script, and every browser the dashboard supports has modulepreload anyway.
 * assetsInlineLimit 0: an inlined asset would be a data: URL, which the
 * policy allows only for images; keeping every asset a file keeps it simple.
 */
export default defineConfig({
  base: '/dashboard/',
  plugins: [preact()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    cssCodeSplit: false,
    sourcemap: false,
  },
});
