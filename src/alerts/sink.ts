// Where alerts go: one interface, so that a Kafka (SCiMMA/GCN) sink can be added beside the Redis outbox.
import type { IgwnAlert } from './schema.js';

export interface SentAlert {
  /** Which sink took it, e.g. `outbox`. */
  sink: string;
  /** The sink's own ID for the message (the outbox's stream entry ID). */
  id: string;
  /** True when this task had already sent the alert: nothing was sent again, `id` is the first one. */
  repeated?: boolean;
}

export interface AlertSink {
  readonly name: string;
  /**
   * Delivers one alert that already passed schema validation; throws when it could not be delivered. With `onceKey`
   * (the sending task's ID, set by sendAlert), a second send with the same key delivers nothing and returns the first.
   */
  send(alert: IgwnAlert, options?: { public?: boolean; onceKey?: string }): Promise<SentAlert>;
}
