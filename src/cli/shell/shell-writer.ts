// How `gwqueue shell` prints a value: a file result (gracedb.download) as its name, type and text, not as base64; no secret of the configuration.
import { Console } from 'node:console';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { describeFileResult, isFileResult } from '../../queue/file-result.js';
import { processRedactor } from '../../log/redact.js';
import { terminalText } from '../context.js';

/** Data as JSON gives it (a result, a TaskInfo): redacted key by key; anything else (a promise, a handle) by its text. */
function isPlainData(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return Array.isArray(value) || prototype === Object.prototype || prototype === null;
}

/** The REPL's writer: the value itself stays the `{ base64, filename }` object (`.base64` still gives the bytes). */
export function shellWriter(value: unknown): string {
  // The REPL prints a thrown error through the writer too: a task's message may carry escape codes, shown escaped.
  if (value instanceof Error) return terminalText(inspect(value), true);
  const redactor = processRedactor();
  if (!isFileResult(value)) {
    const shown = isPlainData(value) ? redactor.value(value) : value;
    return redactor.text(inspect(shown, { colors: !!process.stdout.isTTY, showProxy: true }));
  }
  const { file } = describeFileResult(value, 'result');
  const head = `[file ${file.name}, ${file.contentType}, ${file.size} bytes`;
  return file.text === undefined
    ? `${head}: binary, not shown; .base64 holds the bytes]`
    : `${head}]\n${terminalText(file.text.replace(/\n$/, ''), true)}`;
}

/** The shell's `console`: what a script logs (a result it fetched) is redacted like what the shell prints itself. */
export function redactingConsole(colours: boolean): Console {
  const through = (target: NodeJS.WriteStream) =>
    new Writable({
      // Passed on at once (not after the target's callback), so that logged lines keep their order with the REPL's own.
      write(chunk: Buffer | string, _encoding, done) {
        target.write(processRedactor().text(String(chunk)));
        done();
      },
    });
  return new Console({ stdout: through(process.stdout), stderr: through(process.stderr), colorMode: colours });
}
