// The listeners and sinks a worker holds besides its queues, with their health for its heartbeat (the alert sink today).
import type { ComponentHealth } from '../queue/heartbeats.js';
import { getTask, hasTask } from '../queue/registry.js';
import { sinkDeliveries, sinkHealthy } from '../alerts/sink-health.js';
import type { Config } from '../config/index.js';

/** The task whose queue is where alerts are sent: the worker serving that queue holds the alert sink. */
const ALERT_SENDING_TASK = 'gwqueue.tasks.orchestrator.preliminary_alert';

const ago = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

/** A function the heartbeat calls each beat: the health of what this worker holds ([] when it holds nothing). */
export function componentHealth(config: Config, queues: string[]): () => ComponentHealth[] {
  const holdsSink = hasTask(ALERT_SENDING_TASK) && queues.includes(getTask(ALERT_SENDING_TASK).queue);
  if (!holdsSink) return () => [];
  return () => {
    const record = sinkDeliveries('outbox');
    const parts = [`alert outbox (${config.domain.alertSinkFormat})`];
    parts.push(
      record.delivered
        ? `${record.delivered} alert${record.delivered === 1 ? '' : 's'} delivered by this worker, last at ${ago(record.lastDeliveredAt!)}`
        : 'no alert delivered by this worker yet',
    );
    if (record.failed) parts.push(`${record.failed} failed, last at ${ago(record.lastFailedAt!)}: ${record.lastError}`);
    return [{ kind: 'sink', name: 'outbox', ok: sinkHealthy(record), detail: parts.join('; ') }];
  };
}
