// What `gwqueue shell` prints: an error or a file from a task cannot send escape codes to the terminal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shellWriter } from '../../../src/cli/shell/shell-writer.js';

const ESC = '\u001b';
const BEL = '\u0007';

test('a thrown error and a file result are printed with their escape codes shown, not sent', () => {
  const error = shellWriter(new Error(`failed: ${ESC}[2J${ESC}[31mred`));
  assert.ok(!error.includes(ESC), error);
  assert.ok(error.includes('failed: \\u001b[2J\\u001b[31mred'), error);
  const file = shellWriter({
    base64: Buffer.from(`line one\n${ESC}]0;title${BEL}line two\n`).toString('base64'),
    filename: 'circular.txt',
  });
  assert.ok(!file.includes(ESC) && !file.includes(BEL), file);
  const text = shellWriter({ base64: Buffer.from('line one\nline two\n').toString('base64'), filename: 'circular.txt' });
  assert.match(text, /^\[file circular\.txt, text\/plain.*\]\nline one\nline two$/);
});
