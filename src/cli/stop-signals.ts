// The stop request of a long-running command (dev, worker, web, flower, gracedb): SIGINT/SIGTERM caught from main's first line, the whole stop bounded, a second signal leaves at once.
import cluster from 'node:cluster';
import { StartStopped } from '../log/start-up.js';

/** The commands that run until stopped; each answers its first signal within the bound, from its first line on. */
export const STOPPABLE_COMMANDS: ReadonlySet<string> = new Set(['dev', 'worker', 'web', 'flask', 'flower', 'gracedb']);

/**
 * The bound before the configuration is read: GWQUEUE_SHUTDOWN_TIMEOUT_MS's default + 1 s. Nothing has started yet
 * then, so a stop takes milliseconds; the bound is only the backstop.
 */
const DEFAULT_BOUND_MS = 31_000;
/** What the backstop leaves for the process to exit, under the documented "timeout + 1 s". */
const EXIT_MARGIN_MS = 100;

const controller = new AbortController();
let installed = false;
let boundMs = DEFAULT_BOUND_MS;
let requestedAt: number | undefined;
let backstop: NodeJS.Timeout | undefined;
let firstSignal: ((signal: NodeJS.Signals) => void) | undefined;
const requested = new Promise<NodeJS.Signals>((resolve) => (firstSignal = resolve));

function armBackstop(): void {
  clearTimeout(backstop);
  if (requestedAt === undefined) return;
  const ms = Math.max(0, requestedAt + boundMs - EXIT_MARGIN_MS - Date.now());
  // Whatever a step of the stop waits for, the process is gone within the bound.
  backstop = setTimeout(() => {
    process.stderr.write(`gwqueue: the stop did not finish within ${boundMs / 1000} s; leaving without it\n`);
    process.exit(1);
  }, ms);
  backstop.unref();
}

function onSignal(signal: NodeJS.Signals): void {
  if (requestedAt === undefined) {
    requestedAt = Date.now();
    armBackstop();
    controller.abort(signal);
    firstSignal!(signal);
    return;
  }
  // A console process of `web -P N` gets the terminal's SIGINT and then the primary's SIGTERM: the primary bounds its
  // stop (and kills it past the bound), so only an operator's second signal to a lone process means "now".
  if (cluster.isWorker) return;
  process.stderr.write(`gwqueue: second ${signal}: leaving now, without finishing the stop\n`);
  process.exit(1);
}

/** Called first in main for the commands above: from now on SIGINT and SIGTERM request the stop. */
export function installStopSignals(argv: readonly string[] = process.argv): void {
  if (installed || !STOPPABLE_COMMANDS.has(argv[2] ?? '')) return;
  installed = true;
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** Aborted at the first SIGINT/SIGTERM (its reason: the signal's name): start-up steps give up waiting on it. */
export const stopSignal: AbortSignal = controller.signal;

/** Throws StartStopped when a stop was asked already: before a step that starts what a stop would have to undo. */
export function throwIfStopRequested(): void {
  if (stopSignal.aborted) throw new StartStopped(String(stopSignal.reason));
}

/** Resolves with the first SIGINT/SIGTERM. */
export function untilStopRequested(): Promise<NodeJS.Signals> {
  return requested;
}

/** The whole stop's bound, once the configuration is known (GWQUEUE_SHUTDOWN_TIMEOUT_MS + 1 s). */
export function setStopBound(ms: number): void {
  boundMs = ms;
  armBackstop();
}

/** For a command that is not one of the above (`events`): resolves at the first SIGINT or SIGTERM, once. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const handler = (signal: NodeJS.Signals) => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
      resolve(signal);
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  });
}
