// Which commands are resident, and the loader of the one-shot commands' bundle (dist/bundle/main.cjs) with a V8 code cache.
// bin/gwqueue.js reads both. Why a cache: compiling the bundle was the largest part of `gwqueue call`'s time, and Node 20
// keeps no compile cache of its own (module.enableCompileCache came in Node 22). A code cache that V8 takes skips
// parsing and compiling every function it holds; one written after the command ran holds every function that ran
// (docs/performance.md, "One-shot commands").
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';

/**
 * The commands that run until stopped or until the operator leaves (servers, workers, the shell, the live monitor):
 * bin/gwqueue.js runs them from dist/ module by module (their start-up does not matter; Sentry's instrumentation and
 * stack traces see the modules as written), and scripts/bundle.ts leaves out of the bundle what only they load.
 */
export const RESIDENT_COMMANDS: ReadonlySet<string> = new Set(['dev', 'worker', 'web', 'flask', 'flower', 'gracedb', 'events', 'shell']);

/** The bundle's CommonJS body as a function of the module's variables, as Node's own loader wraps a module. */
type BundleBody = (exports: object, require: NodeJS.Require, module: { exports: object }, filename: string, dirname: string) => void;
const WRAPPER = '(function (exports, require, module, __filename, __dirname) {\n';

const short = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

/**
 * Which cache a command line runs from: one per command, as each compiles its own part of the bundle (BullMQ's
 * enqueueing for `call`, the checks for `nagios`), and its help apart (`call --help` runs next to none of `call`).
 * A command is a word with its file beside this one (main.ts: one file per command); anything else, a misspelt
 * command too, shares the program's cache rather than adding one.
 */
export function cacheKey(argv: string[]): string {
  const word = argv[2] ?? '';
  const command = /^[a-z]{1,20}$/.test(word) && existsSync(new URL(`./${word}.js`, import.meta.url)) ? word : 'program';
  return argv.slice(2).some((arg) => arg === '-h' || arg === '--help') ? `${command}-help` : command;
}

/**
 * Where the cache of this bundle for this command may be, in the order tried: beside it, in the build's own folder
 * (written by whoever can write the install), else in the user's own cache folder (an operator's or Nagios's command in
 * an install they cannot write). The name holds the bundle file's identity (real path, size, modification time) and
 * V8's version: a rebuild, even one that rewrites the file in place, never meets the cache of another build, which V8
 * would take as long as the length matched. V8 itself refuses a cache of other V8 flags.
 */
export function cacheFiles(
  bundleFile: string,
  key: string,
  home = os.homedir(),
): { dir: string; name: string; stale: (entry: string) => boolean }[] {
  const real = realpathSync(bundleFile);
  const { size, mtimeMs } = statSync(real);
  const build = short([real, size, mtimeMs, process.versions.v8, process.arch].join('\0'));
  // The install, whichever build dist/bundle points at: its caches of other builds are stale.
  const install = short(path.dirname(path.resolve(bundleFile)));
  const base = path.basename(real);
  const staleBeside = (entry: string) => entry.startsWith(`${base}.`) && !entry.startsWith(`${base}.${build}.`) && entry.endsWith('.cache');
  return [
    { dir: path.dirname(real), name: `${base}.${build}.${key}.cache`, stale: staleBeside },
    {
      dir: path.join(home, '.cache', 'gwqueue'),
      name: `${install}.${build}.${key}.cache`,
      stale: (entry) => entry.startsWith(`${install}.`) && !entry.startsWith(`${install}.${build}.`) && entry.endsWith('.cache'),
    },
  ];
}

/** The first cache there is of this build, or undefined. */
function readCache(places: ReturnType<typeof cacheFiles>): Buffer | undefined {
  for (const { dir, name } of places) {
    try {
      return readFileSync(path.join(dir, name));
    } catch {
      // None here (or not readable, or a folder in its place): the next place.
    }
  }
  return undefined;
}

/**
 * Writes the cache of what ran to the first place that takes it, replacing it in one rename (a command starting
 * meanwhile reads the old file or the new one, never half of one), and removes this install's caches of other builds
 * there. Any failure only costs the next command its speed.
 */
function writeCache(script: vm.Script, places: ReturnType<typeof cacheFiles>): void {
  let data: Buffer | undefined;
  for (const { dir, name, stale } of places) {
    const temporary = path.join(dir, `${name}.${process.pid}.tmp`);
    let file: number | undefined;
    try {
      // The user's own cache folder only for that user (a code cache is code that the next command runs).
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      // Opened before the cache is made (~15 ms for `call`'s): a place that cannot take it costs nothing.
      file = openSync(temporary, 'w');
      data ??= script.createCachedData();
      writeFileSync(file, data);
      closeSync(file);
      file = undefined;
      renameSync(temporary, path.join(dir, name));
    } catch {
      if (file !== undefined) closeSync(file);
      rmSync(temporary, { force: true, maxRetries: 0 });
      continue;
    }
    try {
      for (const entry of readdirSync(dir)) if (entry !== name && stale(entry)) rmSync(path.join(dir, entry), { force: true });
    } catch {
      // Old caches stay: they cost room, not correctness.
    }
    return;
  }
}

/** Which cache a command ran from: none, one of a command that failed, or one of a command that did its work. */
type CacheUsed = 'none' | 'partial' | 'full';

/**
 * Evaluates the bundle (a CommonJS module: scripts/bundle.ts) and returns its exports, and which cache V8 took. Without
 * one (the first command after a build, another V8, other flags), the cache of what this command ran is written when
 * the process exits. A command that failed (stopped at its input, found no Redis) ran little of its part: its cache is
 * kept as a partial one, which the next command takes only while no command has succeeded and left a full one. With
 * source maps on (`node --enable-source-maps`), which Node applies to the modules of its own loader only, Node's loader
 * runs it, without a cache: stack traces name the lines of src/.
 */
export function loadBundle(bundleFile: string, argv = process.argv): { exports: { main(): Promise<void> }; cacheUsed: CacheUsed } {
  const require = createRequire(bundleFile);
  if (process.sourceMapsEnabled) return { exports: require(bundleFile) as { main(): Promise<void> }, cacheUsed: 'none' };
  const source = readFileSync(bundleFile, 'utf8');
  let full: ReturnType<typeof cacheFiles> = [];
  let partial: ReturnType<typeof cacheFiles> = [];
  try {
    full = cacheFiles(bundleFile, cacheKey(argv));
    partial = cacheFiles(bundleFile, `${cacheKey(argv)}-partial`);
  } catch {
    // Cannot name the cache (the home folder unknown, …): run without one.
  }
  let cachedData = readCache(full);
  let kind: CacheUsed = 'full';
  if (cachedData === undefined) [cachedData, kind] = [readCache(partial), 'partial'];
  // The wrapper on a line of its own, one line up: the file's line numbers hold in stack traces.
  const script = new vm.Script(`${WRAPPER}${source}\n})`, { filename: bundleFile, lineOffset: -1, cachedData });
  const cacheUsed: CacheUsed = cachedData === undefined || script.cachedDataRejected ? 'none' : kind;
  if (cacheUsed !== 'full' && full.length > 0)
    process.once('exit', (code) => {
      // Nothing here may fail the command that ran: a cache costs or saves speed only.
      try {
        if (code === 0) {
          writeCache(script, full);
          for (const { dir, name } of partial) rmSync(path.join(dir, name), { force: true, maxRetries: 0 });
        } else if (cacheUsed === 'none') {
          writeCache(script, partial);
        }
      } catch {
        // A partial cache that stays is not read while the full one is there.
      }
    });
  const body = script.runInThisContext() as BundleBody;
  const module = { exports: {} };
  body.call(module.exports, module.exports, require, module, bundleFile, path.dirname(bundleFile));
  return { exports: module.exports as { main(): Promise<void> }, cacheUsed };
}
