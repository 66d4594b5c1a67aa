// Prints a CheckResult the way Nagios expects: "STATUS: summary | perfdata", then details; -v, -vv, -vvv add more.
import { formatPerfData } from './nagios-range.js';
import { METRICS, type CheckResult, type Finding } from './check-types.js';
import { formatDuration } from './check-evaluate.js';

/** Text before the perfdata must not contain "|", which Nagios takes as the start of performance data. */
const clean = (line: string) => line.replace(/\|/g, '/').replace(/[\r\n]+/g, ' ');

function findingLines(finding: Finding, withStatus: boolean): string[] {
  return [...(withStatus ? [`${finding.status}: ${finding.summary}`] : []), ...finding.details];
}

/**
 * Verbosity as the plugin guidelines define it: 0 shows the summary and the problems, 1 adds what is fine (queues,
 * workers), 2 adds the configuration used, 3 adds timings and the stack of an unexpected error.
 */
export function formatPluginOutput(result: CheckResult, verbosity = 0): string {
  const perfdata = formatPerfData(result.perfdata);
  const lines = [`${result.status}: ${clean(result.summary)}${perfdata ? ` | ${perfdata}` : ''}`];
  const problems = result.findings.filter((f) => f.status !== 'OK');
  problems.forEach((finding, index) => lines.push(...findingLines(finding, index > 0).map(clean)));
  if (verbosity >= 1) {
    for (const finding of result.findings.filter((f) => f.status === 'OK')) lines.push(...findingLines(finding, true).map(clean));
  }
  const d = result.diagnostics;
  if (verbosity >= 2 && d) {
    lines.push(
      `broker: ${d.broker}, key prefix ${d.prefix}`,
      `expected queues: ${d.expectedQueues.join(', ') || '(none)'}`,
      `thresholds (warning/critical): ${METRICS.map((m) => `${m} ${d.thresholds[m].warning || '-'}/${d.thresholds[m].critical || '-'}`).join(', ')}`,
      `timeout ${formatDuration(d.timeoutMs)}, lost-worker window ${formatDuration(d.lostWorkerWindowMs)}, alert-failure window ${formatDuration(d.alertFailureWindowMs)}`,
    );
  }
  if (verbosity >= 3 && d) {
    lines.push(
      `timings (ms): ${Object.entries(d.timingsMs)
        .map(([step, ms]) => `${step} ${ms}`)
        .join(', ')}`,
    );
    if (d.errorStack) lines.push(...d.errorStack.split('\n').map(clean));
  }
  return `${lines.join('\n')}\n`;
}
