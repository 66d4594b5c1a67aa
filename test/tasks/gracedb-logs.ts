// What the domain tests read from a GraceDB log: its comments, and the latest version of each file.
import type { LogRecord } from '../../src/gracedb/index.js';

export function comments(logs: LogRecord[]): string[] {
  return logs.map((entry) => entry.comment);
}

/** `name` → latest version number, from a log. */
export function filesIn(logs: LogRecord[]): Map<string, number> {
  const files = new Map<string, number>();
  for (const entry of logs) if (entry.filename) files.set(entry.filename, entry.file_version ?? 0);
  return files;
}
