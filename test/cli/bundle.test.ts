// bin/gwqueue.js: one-shot commands run the bundle (dist/bundle/main.cjs, scripts/bundle.ts) with its code cache, resident ones dist/ module by module.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BIN } from '../helpers/cli.js';
import { cacheFiles } from '../../src/cli/run-bundle.js';

const DIST = path.resolve(path.dirname(BIN), '..', 'dist');
const LOADER = path.join(DIST, 'cli', 'run-bundle.js');

/**
 * The files of dist/ whose code ran when `gwqueue <args>` ran: every script on a stack that V8's CPU profile sampled,
 * every 50 µs (loading a command takes over 100 ms, so the files that hold its code are seen; which ones exactly is luck).
 */
function distFilesRun(args: string[], dir: string, env: Record<string, string> = {}): string[] {
  const profiles = mkdtempSync(path.join(dir, 'prof-'));
  const run = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-interval', '50', '--cpu-prof-dir', profiles, BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  assert.equal(run.status, 0, `gwqueue ${args.join(' ')}: ${run.stderr}`);
  const [file] = readdirSync(profiles);
  const profile = JSON.parse(readFileSync(path.join(profiles, file), 'utf8')) as { nodes: { callFrame: { url: string } }[] };
  const urls = new Set(profile.nodes.map((node) => node.callFrame.url).filter((url) => url.startsWith(`file://${DIST}/`)));
  return [...urls].map((url) => url.slice(`file://${DIST}/`.length));
}

describe('the bundle of one-shot commands', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gwqueue-bundle-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('dist/bundle is a link to a folder beside it, which one rename replaces (never a moment without a bundle)', () => {
    assert.ok(lstatSync(path.join(DIST, 'bundle')).isSymbolicLink());
    assert.match(path.relative(DIST, realpathSync(path.join(DIST, 'bundle'))), /^bundle-[0-9a-z]+-\d+$/);
  });

  test('`gwqueue call --help` runs the bundle through its loader, and no other file of dist/', () => {
    const files = distFilesRun(['call', '--help'], dir);
    assert.ok(files.includes('bundle/main.cjs'), `the bundle did not run: ${files.join(', ')}`);
    assert.deepEqual(
      files.filter((file) => file !== 'bundle/main.cjs' && file !== 'cli/run-bundle.js'),
      [],
    );
  });

  test('the bundle leaves out what only resident commands load (the web app and Express, the worker, Ink)', () => {
    const source = readFileSync(path.join(DIST, 'bundle', 'main.cjs'), 'utf8');
    for (const kept of ['node_modules/bullmq/', 'node_modules/commander/', 'dist/cli/call.js']) assert.ok(source.includes(kept), kept);
    for (const left of ['node_modules/express/', 'node_modules/ink/', 'dist/web/server.js', 'dist/worker/run-worker.js'])
      assert.ok(!source.includes(left), left);
  });

  const runsDist = (args: string[], env?: Record<string, string>) => {
    const files = distFilesRun(args, dir, env);
    assert.ok(files.length > 0, 'no file of dist/ ran');
    assert.deepEqual(
      // cli/run-bundle.js may run: bin/gwqueue.js reads RESIDENT_COMMANDS there.
      files.filter((file) => file.startsWith('bundle/')),
      [],
    );
  };

  test('`gwqueue worker --help` (resident) runs dist/ module by module, nothing of the bundle', () => runsDist(['worker', '--help']));

  test('a one-shot command with a module preloaded by `node --import` runs dist/, whose registries that module extends', () =>
    runsDist(['call', '--help'], { NODE_OPTIONS: '--import data:text/javascript,' }));

  test('a one-shot command leaves the code cache of what it ran beside the bundle', () => {
    const bundle = path.join(DIST, 'bundle', 'main.cjs');
    const [beside] = cacheFiles(bundle, 'call-help');
    rmSync(path.join(beside.dir, beside.name), { force: true });
    const run = spawnSync(process.execPath, [BIN, 'call', '--help'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.ok(existsSync(path.join(beside.dir, beside.name)));
  });
});

describe('the code cache of the bundle (src/cli/run-bundle.ts)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gwqueue-code-cache-'));
  const home = path.join(dir, 'home');
  const bundle = path.join(dir, 'dist', 'bundle', 'main.cjs');
  after(() => rmSync(dir, { recursive: true, force: true }));
  /** A bundle as scripts/bundle.ts writes it (a CommonJS module exporting main), whose main prints `word` (exit 3 with FAIL set). */
  const build = (word: string) => {
    rmSync(path.dirname(bundle), { recursive: true, force: true });
    mkdirSync(path.dirname(bundle), { recursive: true });
    writeFileSync(
      bundle,
      `'use strict';\nexports.main = async () => {\n  process.stdout.write('${word}\\n');\n  if (process.env.FAIL) process.exitCode = 3;\n};\n`,
    );
  };
  /**
   * Loads the bundle as bin/gwqueue.js does, for `gwqueue <args>`, in a process of its own: whether V8 took a cache,
   * then what main printed.
   */
  const run = (args = ['call', 'x'], env: Record<string, string> = {}) => {
    const script = `import { loadBundle } from ${JSON.stringify(pathToFileURL(LOADER).href)};
      const { exports, cacheUsed } = loadBundle(process.env.BUNDLE, ['node', 'gwqueue', ...JSON.parse(process.env.ARGS)]);
      process.stdout.write({ none: 'no cache', partial: 'partial cache used', full: 'cache used' }[cacheUsed] + '\\n');
      await exports.main();`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { ...process.env, BUNDLE: bundle, HOME: home, ARGS: JSON.stringify(args), ...env },
    });
    assert.equal(result.status, env.FAIL ? 3 : 0, result.stderr);
    assert.equal(result.stderr, '');
    return result.stdout;
  };
  /** The cache files of `gwqueue call …`: beside the bundle, in the user's cache folder. */
  const places = (key = 'call') => cacheFiles(bundle, key, home).map(({ dir, name }) => path.join(dir, name));
  before(() => mkdirSync(home));

  test('the first command writes the cache of what it ran beside the bundle; the next one runs from it', () => {
    build('one');
    assert.equal(run(), 'no cache\none\n');
    assert.ok(existsSync(places()[0]));
    assert.equal(run(), 'cache used\none\n');
  });

  test('each command has its own cache, and its help another; a misspelt one the program’s', () => {
    build('one');
    assert.equal(run(['call', 'x']), 'no cache\none\n');
    assert.equal(run(['nagios']), 'no cache\none\n');
    assert.equal(run(['call', '--help']), 'no cache\none\n');
    assert.equal(run(['call', 'y']), 'cache used\none\n');
    assert.equal(run(['nagios']), 'cache used\none\n');
    assert.equal(run(['call', '-h']), 'cache used\none\n');
    assert.ok(existsSync(places('call-help')[0]));
    // A word that is no command (no file of that name in dist/cli/) has no cache of its own.
    assert.equal(run(['frobnicate']), 'no cache\none\n');
    assert.ok(existsSync(places('program')[0]));
    assert.ok(!existsSync(places('frobnicate')[0]));
  });

  test('a command that fails (bad input, no Redis) leaves a partial cache, used until one succeeds and leaves a full one', () => {
    build('one');
    assert.equal(run(['call', 'x'], { FAIL: '1' }), 'no cache\none\n');
    assert.ok(!existsSync(places()[0]) && !existsSync(places()[1]));
    assert.ok(existsSync(places('call-partial')[0]));
    assert.equal(run(['call', 'x'], { FAIL: '1' }), 'partial cache used\none\n');
    assert.equal(run(['call', 'x']), 'partial cache used\none\n');
    assert.ok(existsSync(places()[0]));
    assert.ok(!existsSync(places('call-partial')[0]));
    assert.equal(run(['call', 'x'], { FAIL: '1' }), 'cache used\none\n');
  });

  test('a bundle rebuilt in place, even to the same length, never runs from the old cache, which goes', () => {
    build('one');
    run();
    const old = places()[0];
    assert.ok(existsSync(old));
    build('two');
    assert.equal(run(), 'no cache\ntwo\n');
    assert.ok(!existsSync(old));
    assert.equal(run(), 'cache used\ntwo\n');
  });

  test('a cache file that is not one (truncated, foreign) is replaced, and costs only speed', () => {
    build('one');
    writeFileSync(places()[0], 'not a code cache');
    assert.equal(run(), 'no cache\none\n');
    assert.equal(run(), 'cache used\none\n');
  });

  test('with the bundle folder not writable, the cache goes to the user’s cache folder', () => {
    build('one');
    // A folder where the cache file would be: neither readable as a file nor replaceable by one (chmod binds no root).
    mkdirSync(places()[0]);
    assert.equal(run(), 'no cache\none\n');
    assert.ok(places()[1].startsWith(path.join(home, '.cache', 'gwqueue') + path.sep));
    assert.ok(existsSync(places()[1]));
    assert.equal(run(), 'cache used\none\n');
  });

  test('with source maps on, Node runs the bundle itself, and stack traces name the lines of the source', async () => {
    const source = path.join(dir, 'thrower.ts');
    writeFileSync(source, "export function main(): never {\n  // The third line throws.\n  throw new Error('thrown');\n}\n");
    rmSync(path.dirname(bundle), { recursive: true, force: true });
    const { build: esbuild } = await import('esbuild');
    await esbuild({
      entryPoints: [source],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      outfile: bundle,
      sourcemap: 'linked',
      logLevel: 'error',
    });
    const script = `import { loadBundle } from ${JSON.stringify(pathToFileURL(LOADER).href)};
      try { loadBundle(process.env.BUNDLE).exports.main(); } catch (error) { process.stdout.write(error.stack.split('\\n')[1]); }`;
    const traced = (options: string[]) =>
      spawnSync(process.execPath, [...options, '--input-type=module', '-e', script], {
        encoding: 'utf8',
        env: { ...process.env, BUNDLE: bundle, HOME: home },
      }).stdout;
    assert.match(traced(['--enable-source-maps']), /thrower\.ts:3:/);
    // Without them, the bundle's own line, the same through node:vm as through Node's loader.
    const line =
      readFileSync(bundle, 'utf8')
        .split('\n')
        .findIndex((text) => /new Error\(["']thrown["']\)/.test(text)) + 1;
    assert.match(traced([]), new RegExp(`main\\.cjs:${line}:`));
  });

  test('with no place to write the cache, commands run as before, without it', () => {
    build('one');
    for (const place of [...places(), ...places('call-partial')]) {
      rmSync(place, { recursive: true, force: true });
      mkdirSync(place, { recursive: true });
    }
    assert.equal(run(), 'no cache\none\n');
    assert.equal(run(['call', 'x'], { FAIL: '1' }), 'no cache\none\n');
    assert.equal(run(), 'no cache\none\n');
  });
});

describe('bin/gwqueue.js when the program cannot load', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gwqueue-bin-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, 'bin'));
  copyFileSync(BIN, path.join(dir, 'bin', 'gwqueue.js'));
  const run = () => spawnSync(process.execPath, [path.join(dir, 'bin', 'gwqueue.js'), 'call', '--help'], { encoding: 'utf8' });

  test('says "not built yet" when nothing is built (exit 70, one line)', () => {
    const result = run();
    assert.equal(result.status, 70);
    assert.match(result.stderr, /^gwqueue: not built yet: run `npm ci`/);
    assert.equal(result.stderr.trim().split('\n').length, 1);
  });

  test('names any other load error as it is (a package not installed is not "not built")', () => {
    mkdirSync(path.join(dir, 'dist', 'bundle'), { recursive: true });
    mkdirSync(path.join(dir, 'dist', 'cli'), { recursive: true });
    copyFileSync(LOADER, path.join(dir, 'dist', 'cli', 'run-bundle.js'));
    writeFileSync(path.join(dir, 'dist', 'bundle', 'main.cjs'), "require('gwqueue-not-installed');\n");
    const result = run();
    assert.equal(result.status, 70);
    assert.match(result.stderr, /^gwqueue: cannot load the program: .*gwqueue-not-installed/);
    assert.doesNotMatch(result.stderr, /not built/);
    assert.equal(result.stderr.trim().split('\n').length, 1);
  });
});
