// The gwqueue program: registers the subcommand asked for (each in its own file under cli/; all of them for help) and runs it.
import { Command, CommanderError } from 'commander';
import { VERSION } from './version.js';
import { EXIT, leaveAfterStop, oneLine } from './cli/context.js';
import { initProcess } from './sentry/crash.js';
import { installStopSignals, STOPPABLE_COMMANDS } from './cli/stop-signals.js';

// A long-running command answers SIGINT/SIGTERM from here on, also while it starts (waiting for Redis, loading tasks).
installStopSignals(process.argv);
// Names this process for its log file and reports crashes (to the log and Sentry) before anything else runs.
initProcess(process.argv);

// `gwqueue status | head`: the reader went away; stop quietly instead of printing a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

const program = new Command('gwqueue')
  .description('gwqueue: tasks, workers and monitoring for a gravitational-wave alert pipeline (BullMQ + Redis)')
  .version(VERSION, '-V, --version')
  .showSuggestionAfterError(true)
  // Commander's own errors (unknown command or option, missing argument) as one escaped line, like every other error.
  .configureOutput({ outputError: (message, write) => write(`${oneLine(message.trim().replace(/\s*\n\s*/g, ' '))}\n`) })
  .exitOverride();

// One entry per command file, in the order help lists them. A command loads only its own file: `gwqueue call` need
// not evaluate the modules of web, nagios or shell (a one-shot command's time is mostly module loading).
// bin/gwqueue.js names the resident ones (servers, workers, shell, events), which run dist/ rather than the bundle.
const COMMANDS: [names: string[], load: () => Promise<{ register(program: Command): void }>][] = [
  [['dev'], () => import('./cli/dev.js')],
  [['worker'], () => import('./cli/worker.js')],
  [['web', 'flask'], () => import('./cli/web.js')],
  [['flower'], () => import('./cli/flower.js')],
  [['gracedb'], () => import('./cli/gracedb.js')],
  [['call'], () => import('./cli/call.js')],
  [['chain'], () => import('./cli/chain.js')],
  [['result'], () => import('./cli/result.js')],
  [['status'], () => import('./cli/status.js')],
  [['nagios'], () => import('./cli/nagios.js')],
  [['munin'], () => import('./cli/munin.js')],
  [['events'], () => import('./cli/events.js')],
  [['shell'], () => import('./cli/shell.js')],
  [['inspect'], () => import('./cli/inspect.js')],
  [['control'], () => import('./cli/control.js')],
  [['purge'], () => import('./cli/purge.js')],
  [['completion'], () => import('./cli/completion.js')],
];
/**
 * Registers the command asked for and runs it; bin/gwqueue.js calls it, and reports in one line what it throws (rare:
 * commands report their own errors). A function: the bundle of one-shot commands is a CommonJS script
 * (scripts/bundle.ts), which cannot await at its top level.
 */
export async function main(): Promise<void> {
  // Help, --version, a misspelt command (its suggestion) and completion (it describes every command) need them all.
  const asked = COMMANDS.find(([names]) => names.includes(process.argv[2]) && process.argv[2] !== 'completion');
  for (const command of await Promise.all((asked ? [asked] : COMMANDS).map(([, load]) => load()))) command.register(program);
  program.commands.forEach((command) => command.exitOverride());

  try {
    await program.parseAsync(process.argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      const ok = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help';
      process.exitCode = ok ? EXIT.OK : EXIT.USAGE;
    } else {
      throw error;
    }
  }
  // A long-running command that returned (stopped, or could not start): a connection still reconnecting to a Redis that
  // is away, or a socket to a hung one, must not keep the process running.
  if (STOPPABLE_COMMANDS.has(process.argv[2] ?? '')) await leaveAfterStop(Number(process.exitCode ?? EXIT.OK));
}
