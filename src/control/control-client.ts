// The sending side of remote control: publishes one command, collects the workers' replies until all came or the timeout.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import { createRedisConnection, waitUntilReady } from '../redis/connection.js';
import { parseReply, type ControlCommand, type ControlReply, type WorkerAction } from './control-protocol.js';
import { controlKeys } from '../redis/keys.js';

export interface SendOptions {
  action: WorkerAction;
  args?: Record<string, unknown>;
  /** Worker names; undefined sends to every worker. */
  destination?: string[];
  timeoutMs: number;
  sender: string;
}

export interface SendResult {
  replies: ControlReply[];
  /** Named destinations that did not answer in time. */
  missing: string[];
  /** How many workers were listening when the command was published. */
  listeners: number;
}

/**
 * Subscribes to the reply channel before publishing (so no reply can be missed), then waits until every named worker
 * answered, or, for a broadcast, until as many replies came as workers were listening, or until the timeout.
 */
export async function sendControl(publisher: Redis, config: Config, options: SendOptions): Promise<SendResult> {
  const id = randomUUID();
  const command: ControlCommand = {
    id,
    action: options.action,
    destination: options.destination ?? null,
    args: options.args ?? {},
    replyTo: controlKeys.reply(config, id),
    sentAt: new Date().toISOString(),
    sender: options.sender,
  };
  const subscriber = createRedisConnection(config, 'producer');
  try {
    await waitUntilReady(subscriber, config);
    const replies: ControlReply[] = [];
    let listeners = Number.POSITIVE_INFINITY;
    let wake: () => void = () => {};
    const done = () => {
      if (options.destination) return options.destination.every((name) => replies.some((reply) => reply.worker === name));
      return replies.length >= listeners;
    };
    subscriber.on('message', (_channel: string, raw: string) => {
      const reply = parseReply(raw);
      if (!reply || reply.id !== id || replies.some((r) => r.worker === reply.worker)) return;
      replies.push(reply);
      if (done()) wake();
    });
    await subscriber.subscribe(command.replyTo);
    listeners = await publisher.publish(controlKeys.channel(config), JSON.stringify(command));
    if (!done()) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.timeoutMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    const missing = (options.destination ?? []).filter((name) => !replies.some((reply) => reply.worker === name));
    return { replies: replies.sort((a, b) => a.worker.localeCompare(b.worker)), missing, listeners };
  } finally {
    subscriber.disconnect();
  }
}
