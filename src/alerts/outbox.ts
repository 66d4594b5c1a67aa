// The alert outbox: every alert sent, kept in a bounded Redis stream (newest first when listed), plus a failure counter.
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import { outboxKeys } from '../redis/keys.js';
import { runScript } from '../redis/scripts.js';
import type { AlertType, IgwnAlert } from './schema.js';
import { encodeAlert, type AlertFormat, type AlertSink, type SentAlert } from './sink.js';

/** How long a task's "already sent" mark is kept: longer than any task can be retried or picked up again. */
const ONCE_TTL_SECONDS = 7 * 24 * 3600;

export interface OutboxEntry {
  /** Stream entry ID (`<ms>-<seq>`): also the order in which alerts were sent. */
  id: string;
  superevent_id: string;
  alert_type: AlertType;
  /** When it entered the outbox, ISO 8601 UTC. */
  time: string;
  /** Whether the alert may be shown to the public (GWQUEUE_EXPOSE_TO_PUBLIC and a publishable event). */
  public: boolean;
  payload: IgwnAlert;
  /** The entry also holds the Avro form (GWQUEUE_ALERT_SINK_FORMAT=avro); getAlertAvro reads it. */
  avro: boolean;
}

/** The Redis stream outbox as an AlertSink. */
export class AlertOutbox implements AlertSink {
  readonly name = 'outbox';
  /** The outbox always keeps the JSON form; `avro` adds the Avro container file to each entry for an Avro consumer. */
  readonly format: AlertFormat;

  constructor(
    private readonly redis: Redis,
    private readonly config: Config,
  ) {
    this.format = config.domain.alertSinkFormat;
  }

  /** The once mark of an alert type for a superevent under `onceKey` (a task's ID, or `superevent`). */
  private onceMark(onceKey: string, alert: Pick<IgwnAlert, 'alert_type' | 'superevent_id'>): string {
    return outboxKeys.once(this.config, `${onceKey}:${alert.alert_type}:${alert.superevent_id}`);
  }

  /** Whether the task sent this type of alert for the superevent (an alert sent once per superevent included). */
  async sentByTask(taskId: string, alert: Pick<IgwnAlert, 'alert_type' | 'superevent_id'>): Promise<boolean> {
    return (await this.redis.exists(this.onceMark(taskId, alert))) === 1;
  }

  /**
   * `onceKey`: the alert is sent once under it (a task's ID, or `superevent` for once per superevent); `taskId` beside a
   * superevent's mark tells whether a repeat is this task's own (`repeated`) or another's (`repeated` and `byAnother`).
   */
  async send(alert: IgwnAlert, options: { public?: boolean; onceKey?: string; taskId?: string } = {}): Promise<SentAlert> {
    // One script: the counter goes with the alert (so /metrics never counts an alert that is not in the outbox), and
    // a task picked up again after its worker died or Redis came back finds its own alert instead of sending another.
    // `~` lets Redis trim whole macro nodes only, which keeps XADD O(1); the bound is approximate.
    const once = options.onceKey ? this.onceMark(options.onceKey, alert) : '';
    const mine = options.onceKey && options.taskId ? this.onceMark(options.taskId, alert) : '';
    const reply = await runScript(
      this.redis,
      'alerts-send-once',
      [outboxKeys.stream(this.config), outboxKeys.sent(this.config), once, mine],
      [
        String(this.config.domain.alertOutboxMaxLen),
        String(ONCE_TTL_SECONDS),
        alert.alert_type,
        'superevent_id',
        alert.superevent_id,
        'alert_type',
        alert.alert_type,
        'time',
        new Date().toISOString(),
        'public',
        options.public ? '1' : '0',
        'payload',
        JSON.stringify(alert),
        ...(this.format === 'avro' ? ['avro', encodeAlert(alert, 'avro')] : []),
      ],
    );
    if (typeof reply !== 'string' || !reply) throw new Error('Redis did not accept the alert into the outbox');
    const byAnother = reply.startsWith('+');
    const repeated = byAnother || reply.startsWith('=');
    return {
      sink: this.name,
      id: repeated ? reply.slice(1) : reply,
      ...(repeated ? { repeated: true } : {}),
      ...(byAnother ? { byAnother: true } : {}),
    };
  }
}

function entryOf(id: string, fields: string[]): OutboxEntry {
  const map = new Map<string, string>();
  for (let index = 0; index + 1 < fields.length; index += 2) map.set(fields[index], fields[index + 1]);
  return {
    id,
    superevent_id: map.get('superevent_id') ?? '',
    alert_type: (map.get('alert_type') ?? '') as AlertType,
    time: map.get('time') ?? '',
    public: map.get('public') === '1',
    payload: JSON.parse(map.get('payload') ?? 'null') as IgwnAlert,
    avro: map.has('avro'),
  };
}

/** Alerts in the outbox, newest first; `supereventId` keeps one superevent's (scanning at most `scan` entries). */
export async function listAlerts(
  redis: Redis,
  config: Config,
  options: { count?: number; supereventId?: string; scan?: number } = {},
): Promise<OutboxEntry[]> {
  const count = Math.max(1, Math.min(options.count ?? 50, 10_000));
  const key = outboxKeys.stream(config);
  if (!options.supereventId) {
    const rows = await redis.xrevrange(key, '+', '-', 'COUNT', count);
    return rows.map(([id, fields]) => entryOf(id, fields));
  }
  const rows = await redis.xrevrange(key, '+', '-', 'COUNT', Math.max(count, options.scan ?? 1000));
  return rows
    .map(([id, fields]) => entryOf(id, fields))
    .filter((entry) => entry.superevent_id === options.supereventId)
    .slice(0, count);
}

/** One alert by its outbox ID, or undefined. */
export async function getAlert(redis: Redis, config: Config, id: string): Promise<OutboxEntry | undefined> {
  if (!/^\d+-\d+$/.test(id)) return undefined;
  const [row] = await redis.xrange(outboxKeys.stream(config), id, id);
  return row ? entryOf(row[0], row[1]) : undefined;
}

/** The Avro form of an outbox entry (an object container file), when it was sent with GWQUEUE_ALERT_SINK_FORMAT=avro. */
export async function getAlertAvro(redis: Redis, config: Config, id: string): Promise<Buffer | undefined> {
  if (!/^\d+-\d+$/.test(id)) return undefined;
  const [row] = await redis.xrangeBuffer(outboxKeys.stream(config), id, id);
  if (!row) return undefined;
  const fields = row[1];
  for (let index = 0; index + 1 < fields.length; index += 2) if (fields[index].toString() === 'avro') return fields[index + 1];
  return undefined;
}

export async function recordAlertFailure(redis: Redis, config: Config): Promise<number> {
  return redis.incr(outboxKeys.failures(config));
}

/** Alerts that could not be delivered since the counter was created (monitoring alarms on its growth). */
export async function alertFailureCount(redis: Redis, config: Config): Promise<number> {
  return Number((await redis.get(outboxKeys.failures(config))) ?? 0);
}
