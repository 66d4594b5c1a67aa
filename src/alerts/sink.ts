// Where alerts go: one interface, so that a Kafka (SCiMMA/GCN) sink can be added beside the Redis outbox.
import { encodeAlertAvro } from './avro.js';
import type { IgwnAlert } from './schema.js';

/** How a sink puts an alert on the wire: JSON text (sky maps base64) or an Avro object container file (bytes). */
export type AlertFormat = 'json' | 'avro';

/** The alert as a sink of `format` sends it; the Avro form is checked against the official .avsc schemas first. */
export function encodeAlert(alert: IgwnAlert, format: AlertFormat): Buffer {
  return format === 'avro' ? encodeAlertAvro(alert) : Buffer.from(JSON.stringify(alert));
}

export interface SentAlert {
  /** Which sink took it, e.g. `outbox`. */
  sink: string;
  /** The sink's own ID for the message (the outbox's stream entry ID). */
  id: string;
  /** True when the alert had been sent already (by this task, or once per superevent): nothing was sent again, `id` is the first one. */
  repeated?: boolean;
  /** Repeated, and sent by another task (an alert sent once per superevent). */
  byAnother?: boolean;
}

export interface AlertSink {
  readonly name: string;
  /** The wire format the sink asks for (GWQUEUE_ALERT_SINK_FORMAT); it encodes with encodeAlert. */
  readonly format: AlertFormat;
  /**
   * Delivers one alert that already passed schema validation; throws when it could not be delivered. With `onceKey`
   * (the sending task's ID, set by sendAlert), a second send with the same key delivers nothing and returns the first.
   */
  send(alert: IgwnAlert, options?: { public?: boolean; onceKey?: string }): Promise<SentAlert>;
}
