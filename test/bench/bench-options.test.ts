// The bench's own edges: its options (a usage line for --help and for a mistake, never a stack trace) and its tables ("–" where a figure does not apply).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { BENCH_USAGE, parseBenchArgs, parseSoakArgs } from '../../bench/options.js';
import { fmt, formatTable, NOT_APPLICABLE } from '../../bench/stats.js';

test('bench options: the defaults, each option, and --help as the usage with exit 0', () => {
  assert.deepEqual(parseBenchArgs([]), { run: { peer: false, quick: false, runs: 3, only: undefined, abHeap: false } });
  assert.deepEqual(parseBenchArgs(['--peer', '--quick', '--only', 'web', '--ab-heap']), {
    run: { peer: true, quick: true, runs: 1, only: 'web', abHeap: true },
  });
  assert.deepEqual(parseBenchArgs(['--runs', '5']), { run: { peer: false, quick: false, runs: 5, only: undefined, abHeap: false } });
  assert.deepEqual(parseBenchArgs(['--only', 'dashboard', '--tasks', '1000000']), {
    run: { peer: false, quick: false, runs: 3, only: 'dashboard', abHeap: false, tasks: 1_000_000 },
  });
  assert.deepEqual(parseBenchArgs(['--only', 'operator']), {
    run: { peer: false, quick: false, runs: 3, only: 'operator', abHeap: false },
  });
  assert.deepEqual(parseBenchArgs(['--only', 'web', '--ab-flags=--max-semi-space-size=8  --v8-pool-size=2']), {
    run: { peer: false, quick: false, runs: 3, only: 'web', abHeap: true, abFlags: ['--max-semi-space-size=8', '--v8-pool-size=2'] },
  });
  for (const help of ['--help', '-h']) assert.deepEqual(parseBenchArgs([help]), { exit: 0, text: BENCH_USAGE });
  for (const option of ['--peer', '--runs', '--quick', '--only', '--tasks', '--ab-heap', '--ab-flags', '--help'])
    assert.match(BENCH_USAGE, new RegExp(option));
});

test('bench options: a mistake is one line naming it, then the usage, exit 64', () => {
  for (const [argv, reason] of [
    [['--bogus'], /Unknown option '--bogus'/],
    [['--runs', 'many'], /--runs must be a whole number from 1 to 20 \(got "many"\)/],
    [['--only', 'nothing'], /--only must be engine, cli, dashboard, web or operator/],
    [['--tasks', '12.5'], /--tasks must be a whole number from 1000 to 5000000 \(got "12.5"\)/],
    [['stray'], /positional/i],
  ] as const) {
    const parsed = parseBenchArgs([...argv]);
    assert.ok('exit' in parsed && parsed.exit === 64, `${argv.join(' ')}: ${JSON.stringify(parsed)}`);
    assert.match(parsed.text.split('\n')[0], reason);
    assert.ok(parsed.text.includes(BENCH_USAGE));
  }
  assert.deepEqual(parseSoakArgs(['--minutes', '2', '--rate', '10']), { run: { minutes: 2, rate: 10 } });
  const soak = parseSoakArgs(['--minutes', '0']);
  assert.ok('exit' in soak && soak.exit === 64 && soak.text.includes('usage: npm run soak'));
});

test('npm run bench -- --help prints the usage and exits 0, starting nothing', () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--help'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout.trim(), BENCH_USAGE);
  assert.doesNotMatch(run.stderr, /at .*\.ts:\d+/);
  const wrong = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--bogus'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(wrong.status, 64);
  assert.match(wrong.stderr, /^bench: Unknown option '--bogus'\nusage: npm run bench/);
  assert.doesNotMatch(wrong.stderr, /\n\s+at /);
});

test('tables: a figure that does not apply is "–", never NaN or Infinity', () => {
  assert.equal(fmt(Number.NaN), NOT_APPLICABLE);
  assert.equal(fmt(Infinity, 0), NOT_APPLICABLE);
  assert.equal(fmt(1.23456, 3), '1.235');
  const table = formatTable('t', [
    { app: 'bare', 'worker MB': Number.NaN, ratio: 1 / 0, rps: 1234, p99: 7.654 },
    { app: 'gwqueue', 'worker MB': 88.4, ratio: 0.5, rps: 999, p99: Number.NaN },
  ]);
  assert.doesNotMatch(table, /NaN|Infinity/);
  const [, , , header, , first, second] = table.split('\n');
  assert.match(header, /\| app +\| worker MB \| ratio \| rps +\| p99 +\|/);
  assert.match(first, /\| bare +\| – +\| – +\| 1234 \| 7\.65 \|/);
  assert.match(second, /\| gwqueue \| 88\.40 +\| 0\.50 +\| 999 +\| – +\|/);
});
