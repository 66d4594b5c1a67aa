// How `gwqueue shell` prints a value: a file result (gracedb.download) as its name, type and text, not as base64; no secret of the configuration.
import { Console } from 'node:console';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { describeFileResult, isFileResult, type FileResult } from '../../queue/file-result.js';
import { processRedactor } from '../../log/redact.js';
import { terminalText } from '../context.js';

/** Data as JSON gives it (a result, a TaskInfo): redacted key by key; anything else (a promise, a handle) by its text. */
function isPlainData(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return Array.isArray(value) || prototype === Object.prototype || prototype === null;
}

/** A file result as the shell shows it: its name, type and size, then its text (or a word that it is binary). */
function fileView(value: FileResult): string {
  const { file } = describeFileResult(value, 'result');
  const head = `[file ${file.name}, ${file.contentType}, ${file.size} bytes`;
  return file.text === undefined
    ? `${head}: binary, not shown; .base64 holds the bytes]`
    : `${head}]\n${terminalText(file.text.replace(/\n$/, ''), true)}`;
}

/**
 * A text file result in the shell: the text itself (a String: `.includes()`, `.slice()`, `${…}` work on it), which
 * `console.log` shows as the prompt does, and which still carries `.base64` and `.filename`. Why: a script gets from
 * `.get()` what the prompt showed it, not the `{ base64, filename }` record the worker stored.
 */
export class ShellFileText extends String {
  readonly base64: string;
  readonly filename?: string;
  constructor(file: FileResult, text: string) {
    super(text);
    this.base64 = file.base64;
    if (file.filename !== undefined) this.filename = file.filename;
  }

  [inspect.custom](): string {
    return fileView({ base64: this.base64, filename: this.filename });
  }
}

/**
 * What `.get()` gives in the shell: a text file result (also one in an array, as a group's result) as ShellFileText;
 * anything else as it is (a binary file stays `{ base64, filename }`).
 */
export function shellValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shellValue);
  if (!isFileResult(value)) return value;
  const text = describeFileResult(value, 'result').file.text;
  return text === undefined ? value : new ShellFileText(value, text);
}

/** The REPL's writer: a file result as its name, type and text (a binary one: `.base64` still gives the bytes). */
export function shellWriter(value: unknown): string {
  // The REPL prints a thrown error through the writer too: a task's message may carry escape codes, shown escaped.
  if (value instanceof Error) return terminalText(inspect(value), true);
  const redactor = processRedactor();
  if (value instanceof ShellFileText || isFileResult(value)) return fileView(value);
  const shown = isPlainData(value) ? redactor.value(value) : value;
  return redactor.text(inspect(shown, { colors: !!process.stdout.isTTY, showProxy: true }));
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
