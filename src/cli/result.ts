// `gwqueue result ID`: prints a task's result as JSON (a text file or a circular as its text; with --raw / -o, a file result's bytes); a failed task's error (stack with --traceback) and exit 1.
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { action, CliError, EXIT, print, terminalText, withClient } from './context.js';
import { processRedactor } from '../log/redact.js';
import { waitSeconds } from './call.js';
import { isFileResult, isText } from '../queue/file-result.js';
import { circularOf } from '../tasks/circular-result.js';
import { printResult } from './print-result.js';

interface ResultOptions {
  traceback?: boolean;
  wait?: boolean | string;
  raw?: boolean;
  output?: string;
  json?: boolean;
}

/** A result that is a file or text: `{ base64, filename }` (what gracedb.download returns) as its bytes, a string as UTF-8. */
export function resultBytes(result: unknown): Buffer | undefined {
  if (typeof result === 'string') return Buffer.from(result, 'utf8');
  // A circular (an object with its subject, body and text): the text an operator pastes into GCN.
  const circular = circularOf(result);
  if (circular) return Buffer.from(circular.text, 'utf8');
  if (isFileResult(result)) return Buffer.from(result.base64, 'base64');
  return undefined;
}

/** Bytes a terminal should not be sent: NUL, or anything that is not UTF-8 text. */
function isBinary(bytes: Buffer): boolean {
  return bytes.includes(0) || !Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes);
}

/** Checked before Redis is touched: -o must name a new file in a folder that exists. */
function checkOutput(output: string | undefined): void {
  if (output === undefined) return;
  if (!output.trim()) throw new CliError('-o/--output needs a file name');
  if (existsSync(output)) throw new CliError(`-o/--output: ${output} already exists; it is not overwritten`, EXIT.CANT_CREATE);
}

async function writeRaw(id: string, result: unknown, output: string | undefined): Promise<void> {
  const bytes = resultBytes(result);
  if (!bytes) {
    const kind =
      result === null ? 'null' : Array.isArray(result) ? 'a list' : typeof result === 'object' ? 'an object' : `a ${typeof result}`;
    throw new CliError(
      `the result of task ${id} is ${kind}, not a file or text; leave out --raw and -o to print it as JSON`,
      EXIT.DATA_ERROR,
    );
  }
  if (output === undefined) {
    if (process.stdout.isTTY && isBinary(bytes))
      throw new CliError(`the result of task ${id} is binary (${bytes.length} bytes); write it with -o FILE or redirect the output`);
    process.stdout.write(bytes);
    return;
  }
  const { writeFile } = await import('node:fs/promises');
  try {
    // `wx`: a file that appeared meanwhile is not overwritten either.
    await writeFile(output, bytes, { flag: 'wx' });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new CliError(
      code === 'EEXIST' ? `-o/--output: ${output} already exists; it is not overwritten` : `-o/--output: cannot write ${output} (${code})`,
      EXIT.CANT_CREATE,
    );
  }
  process.stderr.write(`gwqueue: wrote ${bytes.length} bytes to ${output}\n`);
}

export function register(program: Command): void {
  program
    .command('result <id>')
    .description('print the result of a task (any queue) as JSON, a text file result or a circular as its text')
    .option('--traceback', 'for a failed task, print the stack trace')
    .option('--wait [seconds]', 'wait until the task is finished (default: up to an hour)')
    .option('--raw', 'print a file or text result as it is (a downloaded file as its bytes, a circular as its text), not as JSON')
    .option('-o, --output <file>', 'write a file or text result (a circular: its text) to a new file (never overwrites one)')
    .option('--json', 'print a text file result or a circular as JSON too ({ base64, filename }; subject, body, text), not as its text')
    .action(
      action(async (id: string, options: ResultOptions) => {
        const wait = waitSeconds(options.wait);
        checkOutput(options.output);
        return withClient(async (client) => {
          const { AsyncResult, TaskFailedError } = await import('../queue/async-result.js');
          const handle = new AsyncResult(id, client);
          let info = await handle.info();
          if (wait !== undefined) {
            try {
              await handle.get({ timeout: wait });
            } catch (error) {
              if (!(error instanceof TaskFailedError)) throw error;
            }
            info = await handle.info();
          }
          if (info.state === 'completed') {
            if (options.raw || options.output !== undefined) await writeRaw(id, info.result, options.output);
            else if (!options.json && isFileResult(info.result) && isText(Buffer.from(info.result.base64, 'base64')))
              // A text file (coinc.xml, a circular, JSON) as text, redacted like any output; binary files stay JSON
              // (--raw / -o give a file's bytes as they are: a download, like GraceDB's).
              process.stdout.write(processRedactor().text(Buffer.from(info.result.base64, 'base64').toString('utf8')));
            else if (options.json) print(JSON.stringify(processRedactor().value(info.result), null, 2));
            // A circular as its text; anything else as JSON.
            else printResult(info.result, { pretty: true });
            return EXIT.OK;
          }
          if (info.state === 'failed') {
            // The error is the task's text: no terminal escape in it reaches the terminal.
            print(
              options.traceback && info.error?.stack
                ? terminalText(info.error.stack, true)
                : terminalText(`${info.name} failed: ${info.error?.message ?? 'unknown error'}`, true),
            );
            return EXIT.FAILURE;
          }
          throw new CliError(`task ${id} is ${info.state} (not finished yet); use --wait to wait for it`, EXIT.TEMPFAIL);
        });
      }),
    );
}
