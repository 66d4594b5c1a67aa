// Command-line options of `npm run bench` and `npm run soak`: parsed without a stack trace, with a usage line for --help and for a mistake.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export interface BenchOptions {
  peer: boolean;
  quick: boolean;
  runs: number;
  only: 'engine' | 'cli' | 'dashboard' | 'web' | 'operator' | undefined;
  abHeap: boolean;
  /** `--ab-flags`: the node flags the A/B's second API-token app runs with (given last, they win); V8's defaults when absent. */
  abFlags?: string[];
  /** Retained tasks in the dashboard benchmark (default 100,000; 20,000 with --quick). */
  tasks?: number;
}

export interface SoakOptions {
  minutes: number;
  rate: number;
}

/** What parsing gave: options to run with, or text to print and the exit code to leave with (0 for --help, 64 for a mistake). */
export type Parsed<T> = { run: T } | { exit: number; text: string };

export const BENCH_USAGE = [
  'usage: npm run bench -- [--peer] [--runs N] [--quick] [--only engine|cli|dashboard|web|operator] [--tasks N] [--ab-heap] [--ab-flags FLAGS]',
  '  --peer      also measure the Flask + Celery peer (../shared/bench/peer; its quoted figures when it cannot run)',
  '  --runs N    runs of the web benchmark, medians reported (1 to 20; default 3, 1 with --quick)',
  '  --quick     fewer iterations everywhere (a smoke run, not figures to quote)',
  '  --only P    run one part: engine, cli, dashboard, web or operator (the real preliminary alert, POST to outbox)',
  '  --tasks N   retained tasks in the dashboard benchmark (1,000 to 5,000,000; default 100,000, 20,000 with --quick)',
  "  --ab-heap   A/B in the same runs: V8's heap sized as deployed against V8's defaults",
  "  --ab-flags F  the same A/B against these node flags instead (e.g. --ab-flags='--max-semi-space-size=8')",
  '  -h, --help  print this and exit',
].join('\n');

export const SOAK_USAGE = [
  'usage: npm run soak -- [--minutes M] [--rate R]',
  '  --minutes M  how long the load lasts (more than 0, at most 1440; default 10)',
  '  --rate R     requests per second (more than 0, at most 5000; default 40)',
  '  -h, --help   print this and exit',
].join('\n');

/** node:util's parseArgs, with its errors (unknown option, missing value) turned into one line and the usage. */
function parse(name: string, usage: string, argv: string[], options: NonNullable<ParseArgsConfig['options']>) {
  try {
    const { values } = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: false });
    return { values: values as Record<string, string | boolean | undefined> };
  } catch (error) {
    return { failure: { exit: 64, text: `${name}: ${(error as Error).message}\n${usage}` } };
  }
}

export function parseBenchArgs(argv: string[]): Parsed<BenchOptions> {
  const parsed = parse('bench', BENCH_USAGE, argv, {
    peer: { type: 'boolean' },
    quick: { type: 'boolean' },
    runs: { type: 'string' },
    only: { type: 'string' },
    'ab-heap': { type: 'boolean' },
    'ab-flags': { type: 'string' },
    tasks: { type: 'string' },
  });
  if (parsed.failure) return parsed.failure;
  const values = parsed.values;
  if (values.help) return { exit: 0, text: BENCH_USAGE };
  const quick = values.quick === true;
  const runs = Number(values.runs ?? (quick ? 1 : 3));
  if (!Number.isInteger(runs) || runs < 1 || runs > 20)
    return { exit: 64, text: `bench: --runs must be a whole number from 1 to 20 (got "${String(values.runs)}")\n${BENCH_USAGE}` };
  const only = values.only as string | undefined;
  if (only !== undefined && !['engine', 'cli', 'dashboard', 'web', 'operator'].includes(only))
    return { exit: 64, text: `bench: --only must be engine, cli, dashboard, web or operator (got "${only}")\n${BENCH_USAGE}` };
  const tasks = values.tasks === undefined ? undefined : Number(values.tasks);
  if (tasks !== undefined && (!Number.isInteger(tasks) || tasks < 1000 || tasks > 5_000_000))
    return { exit: 64, text: `bench: --tasks must be a whole number from 1000 to 5000000 (got "${String(values.tasks)}")\n${BENCH_USAGE}` };
  return {
    run: {
      peer: values.peer === true,
      quick,
      runs,
      only: only as BenchOptions['only'],
      abHeap: values['ab-heap'] === true || typeof values['ab-flags'] === 'string',
      ...(typeof values['ab-flags'] === 'string' ? { abFlags: values['ab-flags'].split(/\s+/).filter(Boolean) } : {}),
      ...(tasks === undefined ? {} : { tasks }),
    },
  };
}

export function parseSoakArgs(argv: string[]): Parsed<SoakOptions> {
  const parsed = parse('soak', SOAK_USAGE, argv, { minutes: { type: 'string' }, rate: { type: 'string' } });
  if (parsed.failure) return parsed.failure;
  const values = parsed.values;
  if (values.help) return { exit: 0, text: SOAK_USAGE };
  const minutes = Number(values.minutes ?? '10');
  const rate = Number(values.rate ?? '40');
  if (!(minutes > 0 && minutes <= 24 * 60) || !(rate > 0 && rate <= 5000))
    return { exit: 64, text: `soak: --minutes must be in (0, 1440] and --rate (requests/s) in (0, 5000]\n${SOAK_USAGE}` };
  return { run: { minutes, rate } };
}

/** The options to run with; prints the usage (stdout for --help, stderr for a mistake) and exits otherwise. */
export function optionsOrExit<T>(parsed: Parsed<T>): T {
  if ('run' in parsed) return parsed.run;
  (parsed.exit === 0 ? process.stdout : process.stderr).write(`${parsed.text}\n`);
  process.exit(parsed.exit);
}
