// Where alerts go: one interface, so that a Kafka (SCiMMA/GCN) sink can be added beside the Redis outbox.
import type { IgwnAlert } from './schema.js';

export interface SentAlert {
  /** Which sink took it, e.g. `outbox`. */
  sink: string;
  /** The sink's own ID for the message (the outbox's stream entry ID). */
  id: string;
}

export interface AlertSink {
  readonly name: string;
  /** Delivers one alert that already passed schema validation; throws when it could not be delivered. */
  send(alert: IgwnAlert, options?: { public?: boolean }): Promise<SentAlert>;
}
