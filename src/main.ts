// The gwqueue program: registers every subcommand (each in its own file under cli/) and runs the one asked for.
import { Command, CommanderError } from 'commander';
import { VERSION } from './version.js';
import { EXIT, oneLine } from './cli/context.js';
import * as call from './cli/call.js';
import * as completion from './cli/completion.js';
import * as control from './cli/control.js';
import * as chain from './cli/chain.js';
import * as dev from './cli/dev.js';
import * as events from './cli/events.js';
import * as flower from './cli/flower.js';
import * as inspect from './cli/inspect.js';
import * as munin from './cli/munin.js';
import * as nagios from './cli/nagios.js';
import * as purge from './cli/purge.js';
import * as result from './cli/result.js';
import * as shell from './cli/shell.js';
import * as status from './cli/status.js';
import * as web from './cli/web.js';
import * as worker from './cli/worker.js';
import { initProcess } from './sentry/crash.js';

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

for (const command of [
  dev,
  worker,
  web,
  flower,
  call,
  chain,
  result,
  status,
  nagios,
  munin,
  events,
  shell,
  inspect,
  control,
  purge,
  completion,
])
  command.register(program);
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
