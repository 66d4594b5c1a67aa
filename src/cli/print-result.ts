// How a terminal prints a finished task's result (call --wait, chain --wait, result): a circular as its text, to paste into GCN; anything else as JSON.
import { circularOf } from '../tasks/circular-result.js';
import { processRedactor } from '../log/redact.js';
import { terminalText } from './context.js';

/**
 * The result as a terminal shows it: a circular as its text (its newlines as lines, no `\n` escapes; control
 * characters shown escaped, secrets redacted), anything else as one line of JSON (`pretty`: indented), redacted.
 */
export function resultForTerminal(result: unknown, options: { pretty?: boolean } = {}): string {
  const circular = circularOf(result);
  if (circular) return `${terminalText(circular.text.replace(/\n$/, ''), true)}\n`;
  return `${processRedactor().text(JSON.stringify(processRedactor().value(result), null, options.pretty ? 2 : undefined))}\n`;
}

export function printResult(result: unknown, options: { pretty?: boolean } = {}): void {
  process.stdout.write(resultForTerminal(result, options));
}
