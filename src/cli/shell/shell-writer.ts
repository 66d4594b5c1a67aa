// How `gwqueue shell` prints a value: a file result (gracedb.download) as its name, type and text, not as base64.
import { inspect } from 'node:util';
import { describeFileResult, isFileResult } from '../../queue/file-result.js';
import { terminalText } from '../context.js';

/** The REPL's writer: the value itself stays the `{ base64, filename }` object (`.base64` still gives the bytes). */
export function shellWriter(value: unknown): string {
  // The REPL prints a thrown error through the writer too: a task's message may carry escape codes, shown escaped.
  if (value instanceof Error) return terminalText(inspect(value), true);
  if (!isFileResult(value)) return inspect(value, { colors: !!process.stdout.isTTY, showProxy: true });
  const { file } = describeFileResult(value, 'result');
  const head = `[file ${file.name}, ${file.contentType}, ${file.size} bytes`;
  return file.text === undefined
    ? `${head}: binary, not shown; .base64 holds the bytes]`
    : `${head}]\n${terminalText(file.text.replace(/\n$/, ''), true)}`;
}
