// Bundles dist/ into dist/bundle/ (part of `npm run build`): what one-shot commands run, a few files instead of hundreds.
// bin/gwqueue.js picks it for every command but the resident ones. Why: `gwqueue call` spent most of its start-up in
// Node's module loader (resolving, reading and compiling some 600 files of BullMQ, ioredis, zod, pino, commander and
// ours); one file per group of modules cuts that by about a third (docs/performance.md).
import { renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const target = path.join(root, 'dist', 'bundle');
// Written beside and renamed into place: a command started during a build runs the old bundle or the new one, never
// a half-written one. The folder sits at the same depth as dist/bundle/, so relative paths inside hold.
const outdir = path.join(root, 'dist', `bundle.tmp-${process.pid}`);
rmSync(outdir, { recursive: true, force: true });

await build({
  entryPoints: [path.join(root, 'dist', 'main.js')],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // A chunk per group of modules that the same commands load: each command (and each lazy import) loads only its own.
  splitting: true,
  // Two levels below the package, as dist/config/index.js is: PACKAGE_ROOT (two folders up from import.meta.url) holds.
  outdir,
  // Ink's devtools are imported only when DEV is set, and not installed.
  external: ['react-devtools-core'],
  // The CommonJS packages inside (BullMQ, ioredis, …) call require() for Node's own modules: give each chunk one.
  banner: {
    js: "import { createRequire as __gwqueueCreateRequire } from 'node:module'; const require = __gwqueueCreateRequire(import.meta.url);",
  },
  // Without spaces and comments: ~6 % less start-up (less to decode and parse); names stay, and the linked source maps
  // give `node --enable-source-maps` the lines of src/.
  minifyWhitespace: true,
  sourcemap: 'linked',
  logLevel: 'warning',
});

const old = path.join(root, 'dist', `bundle.old-${process.pid}`);
try {
  renameSync(target, old);
} catch (error) {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}
renameSync(outdir, target);
rmSync(old, { recursive: true, force: true });
