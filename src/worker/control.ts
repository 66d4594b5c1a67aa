// The worker side of `gwqueue control` / `inspect ping`: listens on the control channel, obeys, and acknowledges each command.
import type { Redis } from 'ioredis';
import type { Worker } from 'bullmq';
import type { Config } from '../config/index.js';
import { parseCommand, type ControlCommand, type ControlReply } from '../control/control-protocol.js';
import { logger } from '../log/logger.js';
import { controlKeys } from '../redis/keys.js';

export interface ControlTarget {
  name: string;
  queues: string[];
  /** The BullMQ workers of this process, one per queue. */
  workers: Worker[];
  /** Starts the graceful shutdown (the process is expected to exit once it is done). */
  requestShutdown(): void;
}

export interface ControlListener {
  close(): Promise<void>;
}

type Outcome = Omit<ControlReply, 'id' | 'worker'>;

function obey(command: ControlCommand, target: ControlTarget): Outcome {
  switch (command.action) {
    case 'ping':
      return { ok: true, message: 'pong' };
    case 'concurrency': {
      const n = Number(command.args.n);
      if (!Number.isInteger(n) || n < 1 || n > 1000)
        return { ok: false, message: `concurrency must be a whole number from 1 to 1000 (got ${JSON.stringify(command.args.n)})` };
      // Queues may differ (superevent 1, celery 4…): say what each one was. A BullMQ worker's name is its queue's.
      const previous = Object.fromEntries(target.workers.map((worker) => [worker.name, worker.concurrency]));
      const was = [...new Set(Object.values(previous))];
      const wasText =
        was.length === 1
          ? String(was[0])
          : Object.entries(previous)
              .map(([queue, c]) => `${queue} ${c}`)
              .join(', ');
      for (const worker of target.workers) worker.concurrency = n;
      return { ok: true, message: `concurrency set to ${n} per queue (was ${wasText})`, data: { concurrency: n, previous } };
    }
    case 'shutdown':
      return { ok: true, message: 'shutting down: finishing active tasks, then exiting' };
  }
}

/** Subscribes on a connection of its own (a subscribed connection can do nothing else) and replies on `publisher`. */
export async function startControlListener(config: Config, publisher: Redis, target: ControlTarget): Promise<ControlListener> {
  const log = logger('control');
  const subscriber = publisher.duplicate();
  subscriber.on('error', () => {});
  subscriber.on('message', (_channel: string, raw: string) => {
    const command = parseCommand(config, raw);
    if (!command) return;
    if (command.destination && !command.destination.includes(target.name)) return;
    const outcome = obey(command, target);
    log.info({ action: command.action, args: command.args, sender: command.sender, ok: outcome.ok }, `control: ${command.action}`);
    const reply: ControlReply = { id: command.id, worker: target.name, ...outcome };
    // Acknowledge first: a shutdown must be confirmed before the connection it would be confirmed on goes away.
    publisher
      .publish(command.replyTo, JSON.stringify(reply))
      .catch((error: Error) => log.warn({ err: { message: error.message } }, 'control reply failed'))
      .finally(() => {
        if (command.action === 'shutdown') target.requestShutdown();
      });
  });
  await subscriber.subscribe(controlKeys.channel(config));
  return {
    async close() {
      subscriber.disconnect();
    },
  };
}
