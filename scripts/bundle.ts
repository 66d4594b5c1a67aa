// Bundles dist/ into dist/bundle/main.cjs (part of `npm run build`): what one-shot commands run, one file instead of hundreds.
// bin/gwqueue.js runs it for every command but the resident ones, with a V8 code cache (src/cli/run-bundle.ts). Why:
// `gwqueue call` spent most of its start-up in Node's module loader (resolving, reading and compiling some 600 files of
// BullMQ, ioredis, zod, pino, commander and ours), then in compiling the bundle, which Node 20 caches for no kind of
// module: one CommonJS file, compiled through node:vm, can have its compiled code kept (docs/performance.md).
import { readdirSync, readlinkSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { RESIDENT_COMMANDS } from '../src/cli/run-bundle.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const target = path.join(dist, 'bundle');
// Written beside, in a folder of its own, and put in place by one rename of a symbolic link dist/bundle → that folder:
// rename(2) replaces the link in one step, so a command started during a build finds the old bundle or the new one,
// never a half-written one nor none (replacing a folder by another takes two renames, with no bundle in between).
// The folder sits at the same depth as dist/bundle/, so relative paths inside hold.
const name = `bundle-${Date.now().toString(36)}-${process.pid}`;
const outdir = path.join(dist, name);

/**
 * What a resident command's file imports when it runs (its `import()`s: the web app, the worker, the events screen
 * with Ink) stays out of the bundle, which runs no resident command (bin/gwqueue.js): its help only registers it.
 * A fifth less to read on every command, and to compile without a cache.
 */
const residentOnly: Plugin = {
  name: 'resident-only',
  setup(plugins) {
    const files = new Set([...RESIDENT_COMMANDS].map((command) => path.join(dist, 'cli', `${command}.js`)));
    plugins.onResolve({ filter: /.*/ }, (args) =>
      args.kind === 'dynamic-import' && files.has(args.importer) ? { path: args.path, external: true } : undefined,
    );
  },
};

await build({
  entryPoints: [path.join(root, 'dist', 'main.js')],
  bundle: true,
  platform: 'node',
  target: 'node20',
  // One CommonJS module with every module inside (each evaluated when first imported, as in dist/): node:vm can keep the
  // compiled code of a script, not of an ES module. dist/main.js has no top-level await, which this format forbids.
  format: 'cjs',
  // Two levels below the package, as dist/config/index.js is: PACKAGE_ROOT (two folders up from import.meta.url) holds.
  outfile: path.join(outdir, 'main.cjs'),
  plugins: [residentOnly],
  // import() as require(): code run by node:vm has no loader of ES modules to import with.
  supported: { 'dynamic-import': false },
  // import.meta.url is the bundle's own URL; strict mode as the ES modules it is made of.
  define: { 'import.meta.url': '__gwqueueImportMetaUrl' },
  banner: { js: "'use strict'; const __gwqueueImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  // Without spaces and comments: ~6 % less start-up (less to read and parse); names stay, and the linked source map
  // gives `node --enable-source-maps` the lines of src/.
  minifyWhitespace: true,
  sourcemap: 'linked',
  logLevel: 'warning',
});

/** The folder dist/bundle points at now (null: none yet, or a folder of an older build layout). */
function current(): string | null {
  try {
    return readlinkSync(target);
  } catch {
    return null;
  }
}
const previous = current();
const link = path.join(dist, `bundle.link-${process.pid}`);
rmSync(link, { force: true });
symlinkSync(name, link);
try {
  renameSync(link, target);
} catch (error) {
  // dist/bundle is still a folder (a build before the link): a link cannot replace a folder in one rename, so this one
  // time the folder goes first.
  if (!['EISDIR', 'ENOTEMPTY', 'EEXIST', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
  rmSync(target, { recursive: true, force: true });
  renameSync(link, target);
}
/** Whether the build that writes this folder (its process ID is the name's last part) is still running. */
function building(entry: string): boolean {
  const pid = Number(/-(\d+)$/.exec(entry)?.[1]);
  if (!pid || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
// Older builds go, but the one replaced just now stays until the next build (a command that started on it may still
// resolve a path in it, or write its code cache there), and so does the folder of another build still running beside
// this one.
for (const entry of readdirSync(dist)) {
  if (/^bundle(-|\.tmp-|\.old-)/.test(entry) && entry !== name && entry !== previous && !building(entry))
    rmSync(path.join(dist, entry), { recursive: true, force: true });
}
