// The gwqueue program: registers every subcommand (each in its own file under cli/) and runs the one asked for.
import { Command, CommanderError } from 'commander';
import { VERSION } from './version.js';
import { EXIT } from './cli/context.js';
import * as call from './cli/call.js';
import * as chain from './cli/chain.js';
import * as dev from './cli/dev.js';
import * as nagios from './cli/nagios.js';
import * as result from './cli/result.js';
import * as status from './cli/status.js';
import * as web from './cli/web.js';
import * as worker from './cli/worker.js';

const program = new Command('gwqueue')
  .description('gwqueue: tasks, workers and monitoring for a gravitational-wave alert pipeline (BullMQ + Redis)')
  .version(VERSION, '-V, --version')
  .showSuggestionAfterError(true)
  .exitOverride();

for (const command of [dev, worker, web, call, chain, result, status, nagios]) command.register(program);
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
