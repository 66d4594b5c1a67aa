// `gwqueue nagios`: one health check as a Nagios plugin ("STATUS: summary | perfdata", details, exit 0/1/2/3).
import type { EventEmitter } from 'node:events';
import { Command, InvalidArgumentError, type CommanderError } from 'commander';
import { VERSION } from '../version.js';
import { oneLine } from './context.js';
import { processRedactor } from '../log/redact.js';
import type { CheckOptions } from '../health/check-status.js';
import { METRICS, type MetricName, type Threshold } from '../health/check-types.js';
import { DEFAULT_THRESHOLDS } from '../config/nagios.js';

/** A metric's default pair as its option's help says it. */
function byDefault(metric: MetricName): string {
  const { warning, critical } = DEFAULT_THRESHOLDS[metric];
  return warning || critical ? `default ${warning},${critical}` : 'default: no thresholds';
}
import { combineThresholdOptions, parseThresholdList, parseThresholdPair, ThresholdOptionError } from '../health/threshold-options.js';

const UNKNOWN = 3;

const USAGE = `[-v] [-t seconds] [-w list] [-c list] [--waiting w,c]
       [--oldest-waiting-age w,c] [--failure-ratio w,c] [--failed-alerts w,c]
       [--workers-online w,c] [--canary-age w,c] [--redis-memory w,c]
       [--lost-worker-window seconds] [--alert-failure-window seconds]`;

const HELP_AFTER = `
Thresholds are Nagios ranges: 10 (alert above 10), 10: (below 10), ~:10
(above 10), 10:20 (outside 10..20), @10:20 (inside 10..20).
Per metric, --waiting 10,50 sets warning and critical (",50": no warning).
-w/-c take ranges in the order waiting, oldest-waiting-age, failure-ratio,
failed-alerts, workers-online, canary-age, redis-memory, or metric=range items:
  gwqueue nagios -w waiting=20,oldest-waiting-age=60 -c waiting=100

CRITICAL when Redis cannot be reached or is out of memory, when a known queue (GWCelery's nine
and any a task names) has no live worker, or when a worker seen within the lost-worker window stopped
sending heartbeats without a clean stop, or when a worker's alert sink fails;
WARNING/CRITICAL by thresholds, among them the canary's: the age of the newest
MDC superevent (GWQUEUE_NAGIOS_CANARY; WARNING when a scheduled run failed).
Exit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (also after -h, -V and
bad options). Redis and the key prefix come from the usual settings
(REDIS_URL, GWQUEUE_PREFIX, GWQUEUE_CONFIG).`;

/** The plugin guidelines want UNKNOWN (3) after help, version and usage errors, whatever commander would exit with. */
function pluginExit(_error: CommanderError): never {
  process.exit(UNKNOWN);
}

/** main.ts calls exitOverride() on every subcommand; this one keeps Nagios exit codes. */
class PluginCommand extends Command {
  override exitOverride(_callback?: (error: CommanderError) => never | void): this {
    return super.exitOverride(pluginExit);
  }
}

function printVersion(): never {
  process.stdout.write(`gwqueue nagios ${VERSION}\n`);
  process.exit(UNKNOWN);
}

function seconds(max: number) {
  return (raw: string): number => {
    const value = Number(raw);
    if (!/^\d+(\.\d+)?$/.test(raw.trim()) || !(value > 0) || value > max)
      throw new InvalidArgumentError(`expected seconds, more than 0 and at most ${max}.`);
    return value;
  };
}

function pair(metric: MetricName) {
  return (raw: string): Threshold => {
    try {
      return parseThresholdPair(raw, `--${metric}`);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
  };
}

const collect = (value: string, previous: string[] | undefined): string[] => {
  // An empty list (`-w "$WARN"` with WARN unset) is a mistake, not "no thresholds".
  if (!value.trim()) throw new InvalidArgumentError('expected ranges, e.g. waiting=20 or 10,30.');
  return [...(previous ?? []), value];
};

const camel = (metric: MetricName) => metric.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());

interface NagiosOptions {
  timeout: number;
  verbose: number;
  warning?: string[];
  critical?: string[];
  lostWorkerWindow?: number;
  alertFailureWindow?: number;
  [metric: string]: unknown;
}

async function runCheck(options: NagiosOptions, command: Command): Promise<void> {
  let thresholds: CheckOptions['thresholds'];
  try {
    const pairs = Object.fromEntries(METRICS.filter((m) => options[camel(m)]).map((m) => [m, options[camel(m)] as Threshold]));
    const warning = parseThresholdList((options.warning ?? []).join(','), 'warning');
    thresholds = combineThresholdOptions(warning, parseThresholdList((options.critical ?? []).join(','), 'critical'), pairs);
  } catch (error) {
    if (error instanceof ThresholdOptionError) command.error(`error: ${error.message}`);
    throw error;
  }
  // The limit counts from the process's start (what Nagios measures): the check ends 0.4 s before it (its own
  // answer, CRITICAL when Redis was not reached), the guard below 0.15 s before it.
  const limitMs = options.timeout * 1000;
  process.exitCode = UNKNOWN;
  // The check keeps its own deadline; this one only guards against a hang anywhere else (a plugin must never hang).
  const guard = setTimeout(
    () => {
      process.stdout.write(`UNKNOWN: Check timed out after ${options.timeout} s\n`);
      process.exit(UNKNOWN);
    },
    Math.max(50, limitMs - 150 - performance.now()),
  );
  let output: string;
  let code: number;
  try {
    const [{ getConfig }, { checkStatus }, { formatPluginOutput }] = await Promise.all([
      import('../config/index.js'),
      import('../health/check-status.js'),
      import('../health/plugin-output.js'),
    ]);
    const config = getConfig();
    const ms = (value: number | undefined) => (value === undefined ? undefined : value * 1000);
    const result = await checkStatus(config, {
      timeoutMs: Math.max(50, limitMs - 400 - performance.now()),
      thresholds,
      lostWorkerWindowMs: ms(options.lostWorkerWindow),
      alertFailureWindowMs: ms(options.alertFailureWindow),
    });
    output = formatPluginOutput(result, options.verbose);
    code = result.exitCode;
  } catch (error) {
    const e = error as Error;
    const first = e?.name === 'ConfigError' ? 'UNKNOWN: Configuration error' : 'UNKNOWN: Unexpected error while checking gwqueue';
    output = `${first}\n${String(e?.message ?? error).replace(/\|/g, '/')}\n${options.verbose >= 3 && e?.stack ? `${e.stack}\n` : ''}`;
    code = UNKNOWN;
  }
  clearTimeout(guard);
  process.exitCode = code;
  // The answer is out: leave at once, whatever still holds the event loop (a connection to a hung Redis).
  // A check's text may quote a task's error (a failed alert): no secret of the configuration in it.
  process.stdout.write(processRedactor().text(output), () => process.exit(code));
}

export function register(program: Command): void {
  const nagios = new PluginCommand('nagios')
    .description("check gwqueue's health as a Nagios plugin: queues served, workers alive, backlog, failures, failed alerts")
    .usage(USAGE)
    .option('-t, --timeout <seconds>', 'give up after this long: CRITICAL if Redis was not reached, else UNKNOWN', seconds(3600), 10)
    .option(
      '-v, --verbose',
      'more detail; repeat up to -vvv',
      (_value: string | undefined, previous: number) => Math.min(3, previous + 1),
      0,
    )
    .option('-w, --warning <list>', 'warning ranges (see below); may be repeated', collect)
    .option('-c, --critical <list>', 'critical ranges (see below); may be repeated', collect)
    .option('--waiting <w,c>', `tasks waiting in a queue (${byDefault('waiting')})`, pair('waiting'))
    .option(
      '--oldest-waiting-age <w,c>',
      `seconds the oldest task of a queue has waited (${byDefault('oldest-waiting-age')})`,
      pair('oldest-waiting-age'),
    )
    .option('--failure-ratio <w,c>', `failed/finished tasks over 15 minutes (${byDefault('failure-ratio')})`, pair('failure-ratio'))
    .option(
      '--failed-alerts <w,c>',
      `alerts that failed to reach the outbox within the alert-failure window (${byDefault('failed-alerts')})`,
      pair('failed-alerts'),
    )
    .option('--workers-online <w,c>', `live workers (${byDefault('workers-online')})`, pair('workers-online'))
    .option('--canary-age <w,c>', `seconds since the newest MDC superevent was created (${byDefault('canary-age')})`, pair('canary-age'))
    .option('--redis-memory <w,c>', "Redis' used memory in % of its maxmemory (${byDefault('redis-memory')})", pair('redis-memory'))
    .option(
      '--lost-worker-window <seconds>',
      'how long a worker that vanished without a clean stop is reported (default 3600)',
      seconds(7 * 86_400),
    )
    .option('--alert-failure-window <seconds>', 'failed alerts are counted over this window (default 3600)', seconds(7 * 86_400))
    .option('-V, --version', 'print the version')
    .addHelpText('before', `gwqueue nagios ${VERSION}\n`)
    .addHelpText('after', HELP_AFTER)
    .configureOutput({
      // Nagios reads stdout only.
      writeOut: (text) => process.stdout.write(text),
      writeErr: (text) => process.stdout.write(text),
      // The first line is the status Nagios shows: one line, whatever the bad argument carried.
      outputError: (text, write) => write(`UNKNOWN: ${oneLine(text.trimEnd().replace(/^error: /, ''))}\n`),
    })
    .showHelpAfterError(`Usage: gwqueue nagios ${USAGE}\nTry 'gwqueue nagios --help' for more information.`)
    .exitOverride()
    .action(runCheck);
  nagios.on('option:version', printVersion);
  program.addCommand(nagios);
  // The program's own -V/--version is seen anywhere on the line, before this command's; answer it here as a plugin.
  (program as unknown as EventEmitter).prependListener('option:version', () => {
    if (process.argv.slice(2).find((arg) => !arg.startsWith('-')) === 'nagios') printVersion();
  });
}
