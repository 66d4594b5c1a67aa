// Reads Nagios plugin output back the way Nagios does: status and text of the first line, perfdata after "|", long text after.
import assert from 'node:assert/strict';

export interface ParsedDatum {
  value: number | 'U';
  unit: string;
  warning: string;
  critical: string;
  min: string;
  max: string;
}

export interface ParsedOutput {
  status: string;
  text: string;
  perfdata: Record<string, ParsedDatum>;
  details: string[];
}

const DATUM = /^'((?:[^']|'')+)'=(-?[0-9.]+|U)(s|ms|us|%|B|KB|MB|TB|c)?(?:;([^;]*))?(?:;([^;]*))?(?:;([^;]*))?(?:;([^;]*))?$/;

/** Parses plugin output strictly: fails the test on anything Nagios would misread. */
export function parsePluginOutput(stdout: string): ParsedOutput {
  const [first, ...details] = stdout.replace(/\n$/, '').split('\n');
  const match = /^(OK|WARNING|CRITICAL|UNKNOWN): ([^|]+?)(?: \| (.*))?$/.exec(first);
  assert.ok(match, `first line is not "STATUS: text | perfdata": ${first}`);
  const perfdata: Record<string, ParsedDatum> = {};
  for (const item of (match[3] ?? '').split(' ').filter(Boolean)) {
    const datum = DATUM.exec(item);
    assert.ok(datum, `bad perfdata item ${item}`);
    const [, label, value, unit = '', warning = '', critical = '', min = '', max = ''] = datum;
    perfdata[label.replace(/''/g, "'")] = { value: value === 'U' ? 'U' : Number(value), unit, warning, critical, min, max };
  }
  for (const line of details) assert.ok(!line.includes('|'), `a detail line holds "|", which Nagios would read as perfdata: ${line}`);
  return { status: match[1], text: match[2], perfdata, details };
}
