// How the alert sink fares in this process: the last delivery and the last failure, which the worker's heartbeat reports.
export interface SinkDeliveries {
  delivered: number;
  failed: number;
  lastDeliveredAt: number | null;
  lastFailedAt: number | null;
  lastError: string | null;
}

const deliveries = new Map<string, SinkDeliveries>();

function entry(sink: string): SinkDeliveries {
  let found = deliveries.get(sink);
  if (!found) {
    found = { delivered: 0, failed: 0, lastDeliveredAt: null, lastFailedAt: null, lastError: null };
    deliveries.set(sink, found);
  }
  return found;
}

/** Called by the one place alerts are sent (tasks/alert-builder.ts sendAlert) after each attempt. */
export function noteSinkDelivery(sink: string, error?: unknown): void {
  const record = entry(sink);
  if (error === undefined) {
    record.delivered++;
    record.lastDeliveredAt = Date.now();
  } else {
    record.failed++;
    record.lastFailedAt = Date.now();
    record.lastError = (error instanceof Error ? error.message : String(error)).split('\n')[0].slice(0, 300);
  }
}

/** This process's deliveries to a sink so far. */
export function sinkDeliveries(sink: string): SinkDeliveries {
  return { ...entry(sink) };
}

/** Healthy until a delivery fails, and again once a later one succeeds. */
export function sinkHealthy(record: SinkDeliveries): boolean {
  return record.lastFailedAt === null || (record.lastDeliveredAt !== null && record.lastDeliveredAt > record.lastFailedAt);
}
