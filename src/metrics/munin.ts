// Munin plugin output for gwqueue: graph configuration and values for queue depth, task rates and workers online.
import type { Config } from '../config/index.js';
import type { MetricName } from '../health/check-types.js';
import { DEFAULT_THRESHOLDS } from '../config/nagios.js';
import { parseRange } from '../health/nagios-range.js';
import type { ClusterSnapshot, QueueSnapshot } from './cluster-snapshot.js';

export const GRAPHS = ['queues', 'tasks', 'workers'] as const;
export type Graph = (typeof GRAPHS)[number];

/** Munin field names: letters, digits and underscores, not starting with a digit. */
export function fieldName(...parts: string[]): string {
  const name = parts.join('_').replace(/[^A-Za-z0-9_]/g, '_');
  return /^[A-Za-z_]/.test(name) ? name : `_${name}`;
}

/**
 * A Nagios range as a Munin warning/critical level ("max", "min:", "min:max"); undefined when Munin cannot say it
 * (an inside range, `@…`, or none configured).
 */
export function muninLevel(range: string): string | undefined {
  if (!range.trim()) return undefined;
  const parsed = parseRange(range);
  if (parsed.inside) return undefined;
  const start = parsed.start === -Infinity || parsed.start === 0 ? '' : String(parsed.start);
  const end = parsed.end === Infinity ? '' : String(parsed.end);
  if (!start && end) return end;
  return `${start}:${end}`;
}

/** The Nagios check's thresholds (GWQUEUE_NAGIOS_*), so that Munin and Nagios agree on what is wrong. */
function levels(config: Config, metric: MetricName): { warning?: string; critical?: string } {
  const threshold = { ...DEFAULT_THRESHOLDS[metric], ...config.nagios.thresholds[metric] };
  return { warning: muninLevel(threshold.warning), critical: muninLevel(threshold.critical) };
}

interface Field {
  name: string;
  label: string;
  type: 'GAUGE' | 'DERIVE';
  info: string;
  draw?: string;
  warning?: string;
  critical?: string;
  value(snapshot: ClusterSnapshot | undefined, queue?: QueueSnapshot): number | undefined;
}

interface GraphSpec {
  title: string;
  vlabel: string;
  info: string;
  period?: string;
  fields: Field[];
}

function graphSpec(graph: Graph, config: Config, queues: string[]): GraphSpec {
  const queue = (snapshot: ClusterSnapshot | undefined, name: string) => snapshot?.queues.find((q) => q.name === name);
  if (graph === 'queues') {
    const waiting = levels(config, 'waiting');
    return {
      title: 'gwqueue tasks waiting',
      vlabel: 'tasks',
      info: "Tasks in each queue, from Redis: waiting to run (with the Nagios check's levels, GWQUEUE_NAGIOS_WAITING), running, and delayed (retry backoff or countdown).",
      fields: queues.flatMap((name): Field[] => [
        {
          name: fieldName(name, 'waiting'),
          label: `${name} waiting`,
          type: 'GAUGE',
          draw: 'LINE2',
          info: `Tasks waiting in queue ${name}`,
          ...waiting,
          value: (s) => queue(s, name)?.tasks.waiting,
        },
        {
          name: fieldName(name, 'active'),
          label: `${name} running`,
          type: 'GAUGE',
          info: `Tasks of queue ${name} running on a worker`,
          value: (s) => queue(s, name)?.tasks.active,
        },
        {
          name: fieldName(name, 'delayed'),
          label: `${name} delayed`,
          type: 'GAUGE',
          info: `Tasks of queue ${name} waiting for a retry or their countdown`,
          value: (s) => queue(s, name)?.tasks.delayed,
        },
      ]),
    };
  }
  if (graph === 'tasks') {
    return {
      title: 'gwqueue task rate',
      vlabel: 'tasks per ${graph_period}',
      period: 'minute',
      info: "Tasks finished in each queue by all workers (BullMQ's counters in Redis): succeeded, and failed for good.",
      fields: queues.flatMap((name): Field[] => [
        {
          name: fieldName(name, 'succeeded'),
          label: `${name} succeeded`,
          type: 'DERIVE',
          info: `Tasks of queue ${name} that succeeded`,
          value: (s) => queue(s, name)?.succeededTotal,
        },
        {
          name: fieldName(name, 'failed'),
          label: `${name} failed`,
          type: 'DERIVE',
          info: `Tasks of queue ${name} that failed for good (after their retries)`,
          value: (s) => queue(s, name)?.failedTotal,
        },
      ]),
    };
  }
  const workers = levels(config, 'workers-online');
  return {
    title: 'gwqueue workers online',
    vlabel: 'workers',
    info: 'Live workers (from heartbeats), in all and per queue; a queue without a worker is critical, as in the Nagios check.',
    fields: [
      {
        name: 'total',
        label: 'all queues',
        type: 'GAUGE',
        draw: 'LINE2',
        info: 'Live workers',
        warning: workers.warning,
        critical: workers.critical ?? '1:',
        value: (s) => s?.workersOnline,
      },
      ...queues.map((name): Field => ({
        name: fieldName('queue', name),
        label: `serving ${name}`,
        type: 'GAUGE',
        info: `Live workers consuming queue ${name}`,
        critical: '1:',
        value: (s) => queue(s, name)?.workersOnline,
      })),
    ],
  };
}

/** `config`: the graph's title, labels, category, and each field with its label, type and warning/critical levels. */
export function muninConfig(graph: Graph, config: Config, queues: string[]): string[] {
  const spec = graphSpec(graph, config, queues);
  const lines = [
    `graph_title ${spec.title}`,
    `graph_vlabel ${spec.vlabel}`,
    'graph_category gwqueue',
    'graph_args --base 1000 --lower-limit 0',
    `graph_info ${spec.info}`,
  ];
  if (spec.period) lines.push(`graph_period ${spec.period}`);
  lines.push(`graph_order ${spec.fields.map((f) => f.name).join(' ')}`);
  for (const f of spec.fields) {
    lines.push(`${f.name}.label ${f.label}`, `${f.name}.type ${f.type}`, `${f.name}.min 0`, `${f.name}.info ${f.info}`);
    if (f.draw) lines.push(`${f.name}.draw ${f.draw}`);
    if (f.warning) lines.push(`${f.name}.warning ${f.warning}`);
    if (f.critical) lines.push(`${f.name}.critical ${f.critical}`);
  }
  return lines;
}

/** The plain fetch: `field.value N` per field (`U`, unknown, when Redis could not be read). */
export function muninFetch(graph: Graph, config: Config, queues: string[], snapshot: ClusterSnapshot | undefined): string[] {
  return graphSpec(graph, config, queues).fields.map((f) => {
    const value = f.value(snapshot);
    return `${f.name}.value ${value === undefined || !Number.isFinite(value) ? 'U' : Math.round(value)}`;
  });
}
