// bin/gwqueue.js: one-shot commands run the bundle (dist/bundle/, scripts/bundle.ts), resident ones dist/ module by module.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN } from '../helpers/cli.js';

const DIST = path.resolve(path.dirname(BIN), '..', 'dist');
/** dist/bundle is a link to the folder of the last build (scripts/bundle.ts): Node reports that folder's files. */
const BUNDLE = `${path.relative(DIST, realpathSync(path.join(DIST, 'bundle')))}/`;

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
    assert.match(BUNDLE, /^bundle-[0-9a-z]+-\d+\/$/);
  });

  test('`gwqueue call --help` runs only files of dist/bundle/', () => {
    const files = distFilesRun(['call', '--help'], dir);
    assert.ok(files.length > 0, 'no file of dist/ ran');
    assert.deepEqual(
      files.filter((file) => !file.startsWith(BUNDLE)),
      [],
    );
  });

  const runsDist = (args: string[], env?: Record<string, string>) => {
    const files = distFilesRun(args, dir, env);
    assert.ok(files.length > 0, 'no file of dist/ ran');
    assert.deepEqual(
      files.filter((file) => file.startsWith(BUNDLE)),
      [],
    );
  };

  test('`gwqueue worker --help` (resident) runs dist/ module by module, nothing of the bundle', () => runsDist(['worker', '--help']));

  test('a one-shot command with a module preloaded by `node --import` runs dist/, whose registries that module extends', () =>
    runsDist(['call', '--help'], { NODE_OPTIONS: '--import data:text/javascript,' }));
});

describe('bin/gwqueue.js when the program cannot load', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gwqueue-bin-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, 'bin'));
  copyFileSync(BIN, path.join(dir, 'bin', 'gwqueue.js'));
  const run = () => spawnSync(process.execPath, [path.join(dir, 'bin', 'gwqueue.js'), 'call', '--help'], { encoding: 'utf8' });

  test('says "not built yet" when the entry file is missing (exit 70, one line)', () => {
    const result = run();
    assert.equal(result.status, 70);
    assert.match(result.stderr, /^gwqueue: not built yet: run `npm ci`/);
    assert.equal(result.stderr.trim().split('\n').length, 1);
  });

  test('names any other load error as it is (a missing chunk is not "not built")', () => {
    mkdirSync(path.join(dir, 'dist', 'bundle'), { recursive: true });
    writeFileSync(path.join(dir, 'dist', 'bundle', 'main.js'), "import './chunk-GONE.js';\n");
    const result = run();
    assert.equal(result.status, 70);
    assert.match(result.stderr, /^gwqueue: cannot load the program: .*chunk-GONE\.js/);
    assert.doesNotMatch(result.stderr, /not built/);
    assert.equal(result.stderr.trim().split('\n').length, 1);
  });
});
