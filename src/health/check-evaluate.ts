// The pure half of the health check: measurements + thresholds + time in, findings, summary and perfdata out.
import { describeRange, formatNumber, parseRange, thresholdLevel, type NagiosRange, type PerfDatum } from './nagios-range.js';
import {
  EXIT_CODES,
  SEVERITY,
  type CheckName,
  type CheckResult,
  type CheckStatusName,
  type Finding,
  type Measurements,
  type MetricName,
  type Thresholds,
  type WorkerSighting,
} from './check-types.js';

/** Which finding names the problem on the first line when several share the worst status. */
const PRIORITY: Record<CheckName, number> = {
  broker: 0,
  timeout: 1,
  internal: 2,
  queues: 3,
  workers: 4,
  'workers-online': 5,
  'failed-alerts': 6,
  waiting: 7,
  'oldest-waiting-age': 8,
  'failure-ratio': 9,
};

const plural = (n: number, word: string, many = `${word}s`) => `${n} ${n === 1 ? word : many}`;

/** "42 s", "12 min", "3.5 h". */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, ms) / 1000;
  if (seconds < 90) return `${formatNumber(seconds, 0, seconds < 10 ? 1 : 0)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${formatNumber(seconds / 3600, 0, 1)} h`;
}

/** Orders findings worst first, then by importance. */
export function sortFindings(findings: Finding[]): Finding[] {
  return [...findings].sort((a, b) => SEVERITY[b.status] - SEVERITY[a.status] || PRIORITY[a.check] - PRIORITY[b.check]);
}

/** Builds a result from findings: the worst status wins and the first finding names it. */
export function resultOf(findings: Finding[], perfdata: PerfDatum[], now: number, okSummary = ''): CheckResult {
  const sorted = sortFindings(findings);
  const status: CheckStatusName = sorted[0]?.status ?? 'OK';
  return {
    status,
    exitCode: EXIT_CODES[status],
    summary: status === 'OK' ? okSummary : sorted[0].summary,
    findings: sorted,
    perfdata,
    checkedAt: new Date(now).toISOString(),
    durationMs: 0,
  };
}

interface ParsedThreshold {
  warning?: NagiosRange;
  critical?: NagiosRange;
  text: { warning: string; critical: string };
}

function parseThresholds(thresholds: Thresholds): Record<MetricName, ParsedThreshold> {
  const parse = (text: string) => (text.trim() ? parseRange(text) : undefined);
  const entries = Object.entries(thresholds).map(([metric, { warning, critical }]) => [
    metric,
    { warning: parse(warning), critical: parse(critical), text: { warning: warning.trim(), critical: critical.trim() } },
  ]);
  return Object.fromEntries(entries) as Record<MetricName, ParsedThreshold>;
}

/** A finding for one measured value against its thresholds; `describe` words the value. */
function thresholdFinding(check: MetricName, t: ParsedThreshold, value: number | null, describe: string, queue?: string): Finding {
  const status = value === null ? 'OK' : thresholdLevel(value, t.warning, t.critical);
  const range = status === 'CRITICAL' ? t.critical : status === 'WARNING' ? t.warning : undefined;
  const summary = range ? `${describe} (${status.toLowerCase()}: ${describeRange(range)})` : describe;
  return { status, check, summary, details: [], ...(queue === undefined ? {} : { queue }) };
}

function workerLine(worker: WorkerSighting, now: number): string {
  const where = [worker.hostname ? `host ${worker.hostname}` : '', worker.queues.length ? `queues ${worker.queues.join(', ')}` : '']
    .filter(Boolean)
    .join(', ');
  return `${worker.name}: last heartbeat ${formatDuration(now - worker.lastSeen)} ago, status ${worker.status}${where ? ` (${where})` : ''}`;
}

function workerFindings(m: Measurements, now: number): Finding[] {
  const serving = m.workers.filter((w) => w.online && w.status === 'online');
  const served = new Set(serving.flatMap((w) => w.queues));
  const missing = m.expectedQueues.filter((queue) => !served.has(queue));
  const findings: Finding[] = [];
  if (missing.length) {
    const details = [`Missing queues: ${missing.join(', ')}`];
    for (const w of m.workers.filter((w) => w.online && w.status === 'stopping' && w.queues.some((q) => missing.includes(q)))) {
      details.push(`${w.name} is stopping (it no longer takes tasks)`);
    }
    findings.push({ status: 'CRITICAL', check: 'queues', summary: 'Not all expected queues are active', details, names: missing });
  } else {
    findings.push({
      status: 'OK',
      check: 'queues',
      summary: `all ${plural(m.expectedQueues.length, 'expected queue')} are served`,
      details: [],
      names: [],
    });
  }
  // A worker that stopped beating without saying 'stopped' crashed, was killed or lost its connection.
  const lost = m.workers.filter((w) => !w.online && w.status !== 'stopped').sort((a, b) => b.lastSeen - a.lastSeen);
  if (lost.length) {
    const names = lost.map((w) => w.name);
    const summary =
      lost.length === 1
        ? `Worker ${names[0]} stopped sending heartbeats`
        : `${lost.length} workers stopped sending heartbeats: ${names.join(', ')}`;
    findings.push({ status: 'CRITICAL', check: 'workers', summary, details: lost.map((w) => workerLine(w, now)), names });
  } else {
    const summary = `no worker vanished without a clean stop within the last ${formatDuration(m.lostWorkerWindowMs)}`;
    findings.push({ status: 'OK', check: 'workers', summary, details: [], names: [] });
  }
  return findings;
}

/**
 * Judges measurements taken at `now` against the thresholds. Pure: no I/O, no clock. Throws NagiosRangeError when
 * a threshold is not a valid range.
 */
export function evaluate(m: Measurements, thresholds: Thresholds, now: number): CheckResult {
  const t = parseThresholds(thresholds);
  const findings = workerFindings(m, now);
  const perfdata: PerfDatum[] = [];
  const perf = (label: string, metric: MetricName | null, value: number | null, extra: Partial<PerfDatum> = {}) =>
    perfdata.push({
      label,
      value,
      unit: '',
      min: 0,
      ...(metric ? { warning: t[metric].text.warning || undefined, critical: t[metric].text.critical || undefined } : {}),
      ...extra,
    });

  let totalWaiting = 0;
  for (const q of m.queues) {
    totalWaiting += q.waiting;
    const age = q.oldestWaitingSince === null ? (q.waiting ? null : 0) : Math.max(0, (now - q.oldestWaitingSince) / 1000);
    findings.push(thresholdFinding('waiting', t.waiting, q.waiting, `${plural(q.waiting, 'task')} waiting in queue ${q.name}`, q.name));
    const ageText = !q.waiting ? 'none' : age === null ? 'waited for an unknown time' : `waited ${formatDuration(age * 1000)}`;
    findings.push(
      thresholdFinding('oldest-waiting-age', t['oldest-waiting-age'], age, `oldest waiting task in queue ${q.name}: ${ageText}`, q.name),
    );
    perf(`waiting_${q.name}`, 'waiting', q.waiting);
    perf(`oldest_waiting_age_${q.name}`, 'oldest-waiting-age', age, { unit: 's', decimals: [0, 3] });
  }

  const onlineWorkers = m.workers.filter((w) => w.online);
  const online = onlineWorkers.length;
  const workersOnline = thresholdFinding('workers-online', t['workers-online'], online, `${plural(online, 'worker')} online`);
  workersOnline.details = onlineWorkers.map((w) => workerLine(w, now));
  findings.push(workersOnline);
  perf('workers_online', 'workers-online', online);

  const completed = m.queues.reduce((sum, q) => sum + q.completed, 0);
  const failed = m.queues.reduce((sum, q) => sum + q.failed, 0);
  const ratio = completed + failed ? failed / (completed + failed) : 0;
  const window = `${m.failureWindowMinutes} min`;
  const ratioText = `failure ratio ${formatNumber(ratio, 2, 3)} over the last ${window} (${failed} of ${plural(completed + failed, 'finished task')} failed)`;
  findings.push(thresholdFinding('failure-ratio', t['failure-ratio'], ratio, ratioText));
  perf(`failure_ratio_${m.failureWindowMinutes}m`, 'failure-ratio', ratio, { max: 1, decimals: [2, 4] });
  perf(`completed_${m.failureWindowMinutes}m`, null, completed);
  perf(`failed_${m.failureWindowMinutes}m`, null, failed);

  const alertsText = `${plural(m.failedAlerts, 'alert')} failed to reach the outbox in the last ${formatDuration(m.alertFailureWindowMs)}`;
  findings.push(thresholdFinding('failed-alerts', t['failed-alerts'], m.failedAlerts, alertsText));
  perf('failed_alerts', 'failed-alerts', m.failedAlerts);
  perf('failed_alerts_total', null, m.failedAlertsTotal, { unit: 'c' });
  perf('workers_lost', null, findings.find((f) => f.check === 'workers')?.names?.length ?? 0);
  perf('queues_unserved', null, findings.find((f) => f.check === 'queues')?.names?.length ?? 0);

  const served = m.expectedQueues.length - (findings.find((f) => f.check === 'queues')?.names?.length ?? 0);
  const okSummary = `gwqueue is running normally - ${plural(online, 'worker')} online, ${plural(served, 'queue')} served, ${plural(totalWaiting, 'task')} waiting`;
  return resultOf(findings, perfdata, now, okSummary);
}
