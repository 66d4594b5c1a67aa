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
  'redis-memory': 1,
  timeout: 1,
  internal: 2,
  queues: 3,
  workers: 4,
  components: 5,
  'canary-age': 6,
  schedules: 7,
  'workers-online': 8,
  'failed-alerts': 9,
  waiting: 10,
  'oldest-waiting-age': 11,
  'failure-ratio': 12,
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

/** Listeners and sinks the online workers hold (GWCelery's Kafka and VOEvent checks): one that fails is critical. */
function componentFindings(m: Measurements): Finding[] {
  const held = m.workers
    .filter((w) => w.online && w.status !== 'stopped')
    .flatMap((w) => (w.components ?? []).map((component) => ({ worker: w.name, ...component })));
  if (!held.length) return [];
  const failing = held.filter((c) => !c.ok);
  const line = (c: (typeof held)[number]) => `${c.worker}: ${c.kind} ${c.name}: ${c.detail}`;
  if (!failing.length) {
    return [
      {
        status: 'OK',
        check: 'components',
        summary: `${plural(held.length, 'listener or sink', 'listeners or sinks')} healthy`,
        details: held.map(line),
        names: [],
      },
    ];
  }
  const first = failing[0];
  const summary =
    failing.length === 1
      ? `The ${first.kind === 'sink' ? 'alert sink' : 'listener'} ${first.name} of worker ${first.worker} is failing`
      : `${failing.length} listeners or sinks are failing: ${failing.map((c) => `${c.name} of ${c.worker}`).join(', ')}`;
  return [{ status: 'CRITICAL', check: 'components', summary, details: failing.map(line), names: failing.map((c) => c.worker) }];
}

const MIB = 1024 * 1024;
const mib = (bytes: number) => `${formatNumber(bytes / MIB, 0, 1)} MiB`;

/**
 * How full Redis is: used memory against `maxmemory`. Full (with `noeviction`, as BullMQ needs), Redis refuses every
 * write: nothing can be submitted and no task can move on; the thresholds warn before that.
 */
function memoryFindings(m: Measurements, t: Record<MetricName, ParsedThreshold>): { findings: Finding[]; percent: number | null } {
  const memory = m.memory;
  if (!memory) return { findings: [], percent: null };
  const percent = memory.maxBytes > 0 ? (100 * memory.usedBytes) / memory.maxBytes : null;
  const policy =
    memory.policy === 'noeviction'
      ? []
      : [`maxmemory-policy is ${memory.policy}: BullMQ needs noeviction (else Redis may drop queued tasks)`];
  const full = m.memoryRefused || (percent !== null && percent >= 100);
  if (full) {
    const use = percent === null ? '' : `, ${formatNumber(percent, 0, 1)} % of its maxmemory`;
    const summary = `Redis is out of memory: it refuses writes (uses ${mib(memory.usedBytes)}${memory.maxBytes ? ` of ${mib(memory.maxBytes)}` : ''}${use})`;
    const details = ['nothing can be submitted and no task can move on until memory is freed or maxmemory raised', ...policy];
    return { findings: [{ status: 'CRITICAL', check: 'redis-memory', summary, details }], percent };
  }
  if (percent === null) {
    const summary = `Redis uses ${mib(memory.usedBytes)} of memory (no maxmemory set)`;
    return { findings: [{ status: 'OK', check: 'redis-memory', summary, details: policy }], percent };
  }
  const describe = `Redis uses ${formatNumber(percent, 0, 1)} % of its maxmemory (${mib(memory.usedBytes)} of ${mib(memory.maxBytes)})`;
  const finding = thresholdFinding('redis-memory', t['redis-memory'], percent, describe);
  return {
    findings: [
      {
        ...finding,
        details: [...(finding.status === 'OK' ? [] : ['full, Redis refuses every write: no submission, no task progress']), ...policy],
      },
    ],
    percent,
  };
}

/** The end-to-end canary: how old the newest MDC superevent is, and how the last scheduled runs went. */
function canaryFindings(m: Measurements, t: Record<MetricName, ParsedThreshold>, now: number): { findings: Finding[]; age: number | null } {
  const canary = m.canary;
  if (!canary) return { findings: [], age: null };
  const findings: Finding[] = [];
  let age: number | null = null;
  const mockEvent = canary.schedules.find((schedule) => schedule.name === 'mock-event');
  const scheduleNote =
    mockEvent && !mockEvent.scheduler
      ? [`schedule mock-event is not in Redis (switched off, or no worker of queue ${mockEvent.queue} started since it was switched on)`]
      : [];
  if (canary.error) {
    findings.push({
      status: 'UNKNOWN',
      check: 'canary-age',
      summary: `Could not read MDC superevents from GraceDB: ${canary.error}`,
      details: scheduleNote,
    });
  } else if (!canary.newest) {
    const finding = thresholdFinding(
      'canary-age',
      t['canary-age'],
      Infinity,
      `No MDC superevent in the last ${formatDuration(canary.lookbackMs)}`,
    );
    findings.push({ ...finding, details: scheduleNote });
  } else {
    age = Math.max(0, (now - canary.newest.createdAt) / 1000);
    const describe = `newest MDC superevent ${canary.newest.supereventId} was created ${formatDuration(age * 1000)} ago`;
    findings.push({ ...thresholdFinding('canary-age', t['canary-age'], age, describe), details: scheduleNote });
  }
  for (const schedule of canary.schedules) {
    const run = schedule.lastRun;
    if (!run) {
      const where = schedule.scheduler ? 'not run yet' : 'not scheduled';
      findings.push({ status: 'OK', check: 'schedules', summary: `schedule ${schedule.name}: ${where}`, details: [] });
      continue;
    }
    const when = `last run ${formatDuration(now - run.firedAt)} ago (task ${run.taskId}, ${run.task})`;
    if (run.state === 'failed') {
      const details = [`task ${run.taskId}: ${run.error ?? 'failed'}`];
      findings.push({
        status: 'WARNING',
        check: 'schedules',
        summary: `The last run of schedule ${schedule.name} failed`,
        details,
        names: [schedule.name],
      });
    } else {
      findings.push({ status: 'OK', check: 'schedules', summary: `schedule ${schedule.name}: ${when} ${run.state}`, details: [] });
    }
  }
  return { findings, age };
}

/**
 * Judges measurements taken at `now` against the thresholds. Pure: no I/O, no clock. Throws NagiosRangeError when
 * a threshold is not a valid range.
 */
export function evaluate(m: Measurements, thresholds: Thresholds, now: number): CheckResult {
  const t = parseThresholds(thresholds);
  const findings = [...workerFindings(m, now), ...componentFindings(m)];
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
  let canaryAge: number | null = null;
  if (m.canary) {
    const canary = canaryFindings(m, t, now);
    canaryAge = canary.age;
    findings.push(...canary.findings);
    // The age of the newest MDC superevent; unknown ("U") when there is none in the lookback or GraceDB did not answer.
    perf('canary_age', 'canary-age', canary.age === null ? null : Math.round(canary.age), { unit: 's' });
  }

  if (m.memory) {
    const memory = memoryFindings(m, t);
    findings.push(...memory.findings);
    // Percent of maxmemory in use ("U" without a limit), and the bytes themselves for graphs.
    perf('redis_memory', 'redis-memory', memory.percent === null ? null : Math.round(memory.percent * 10) / 10, {
      unit: '%',
      max: 100,
      decimals: [0, 1],
    });
    perf('redis_used_memory', null, m.memory.usedBytes, { unit: 'B' });
  }

  const served = m.expectedQueues.length - (findings.find((f) => f.check === 'queues')?.names?.length ?? 0);
  const canaryText = canaryAge === null ? '' : `, newest MDC superevent ${formatDuration(canaryAge * 1000)} old`;
  const okSummary = `gwqueue is running normally - ${plural(online, 'worker')} online, ${plural(served, 'queue')} served, ${plural(totalWaiting, 'task')} waiting${canaryText}`;
  return resultOf(findings, perfdata, now, okSummary);
}
