// The remote-control protocol between the CLI and workers: Redis pub/sub channels under {prefix}, command and reply shapes.
import type { Config } from '../config/index.js';
import { controlKeys } from '../redis/keys.js';
import { WORKER_COMMANDS } from '../actions/worker-commands.js';

/** What a worker can be asked to do: ping (a read), and the commands that change something (queue pause/resume, cancel and retry need no worker and are not sent). */
export const WORKER_ACTIONS = ['ping', ...WORKER_COMMANDS] as const;
export type WorkerAction = (typeof WORKER_ACTIONS)[number];

export interface ControlCommand {
  /** Unique per command: replies carry it, so that a late reply to an earlier command is never mistaken for this one's. */
  id: string;
  action: WorkerAction;
  /** Worker names the command is for; null means every worker. */
  destination: string[] | null;
  args: Record<string, unknown>;
  /** Channel the workers publish their replies on. */
  replyTo: string;
  sentAt: string;
  /** user@host of whoever sent it, for the worker's log. */
  sender: string;
}

export interface ControlReply {
  id: string;
  worker: string;
  ok: boolean;
  message: string;
  data?: unknown;
}

export function isReplyChannel(config: Config, channel: unknown): channel is string {
  return typeof channel === 'string' && channel.startsWith(controlKeys.replyPrefix(config)) && channel.length < 300;
}

/** Parses a command off the wire; anything malformed is ignored (undefined), never thrown. */
export function parseCommand(config: Config, raw: string): ControlCommand | undefined {
  let value: Partial<ControlCommand>;
  try {
    value = JSON.parse(raw) as Partial<ControlCommand>;
  } catch {
    return undefined;
  }
  if (!value || typeof value !== 'object' || typeof value.id !== 'string') return undefined;
  if (!WORKER_ACTIONS.includes(value.action as WorkerAction)) return undefined;
  if (value.destination !== null && !(Array.isArray(value.destination) && value.destination.every((d) => typeof d === 'string')))
    return undefined;
  if (!isReplyChannel(config, value.replyTo)) return undefined;
  return {
    id: value.id,
    action: value.action as WorkerAction,
    destination: value.destination,
    args: value.args && typeof value.args === 'object' ? value.args : {},
    replyTo: value.replyTo,
    sentAt: String(value.sentAt ?? ''),
    sender: String(value.sender ?? 'unknown'),
  };
}

export function parseReply(raw: string): ControlReply | undefined {
  try {
    const value = JSON.parse(raw) as Partial<ControlReply>;
    if (typeof value?.id !== 'string' || typeof value.worker !== 'string') return undefined;
    return { id: value.id, worker: value.worker, ok: value.ok === true, message: String(value.message ?? ''), data: value.data };
  } catch {
    return undefined;
  }
}
