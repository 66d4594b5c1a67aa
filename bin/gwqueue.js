#!/usr/bin/env node
// Executable entry point: loads the compiled program from dist/ (built by `npm run build` / `prepare`).
import('../dist/main.js').catch((error) => {
  if (error && error.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/main.js')) {
    process.stderr.write('gwqueue: not built yet: run `npm ci` (or `npm run build`) in the gwqueue folder first\n');
    process.exit(70);
  }
  throw error;
});
