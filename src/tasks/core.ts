// Core tasks: health and diagnostics (ping, echo, add, sleep, raise_error) and the canvas helper for groups.
import os from 'node:os';
import { z } from 'zod';
import { defineTask } from '../queue/registry.js';
import { GROUP_RESULTS_TASK } from '../queue/canvas.js';
import { TransientError } from '../queue/errors.js';

export const ping = defineTask({
  name: 'gwqueue.tasks.core.ping',
  description: 'Answers "pong" with the hostname of the worker that ran it.',
  params: {},
  async run() {
    return { pong: true, hostname: os.hostname() };
  },
});

export const echo = defineTask({
  name: 'gwqueue.tasks.core.echo',
  description: 'Returns its argument unchanged (useful at the head of a chain).',
  params: { value: z.unknown() },
  async run({ value }) {
    return value ?? null;
  },
});

export const add = defineTask({
  name: 'gwqueue.tasks.core.add',
  description: "Adds two numbers (the canvas example from Celery's documentation).",
  params: { x: z.number(), y: z.number() },
  async run({ x, y }) {
    return x + y;
  },
});

export const sum = defineTask({
  name: 'gwqueue.tasks.core.sum',
  description: 'Adds a list of numbers, e.g. the results of a group.',
  params: { numbers: z.array(z.number()) },
  async run({ numbers }) {
    return numbers.reduce((total, n) => total + n, 0);
  },
});

export const sleep = defineTask({
  name: 'gwqueue.tasks.core.sleep',
  description: 'Waits the given number of seconds, then returns it (to exercise queues and shutdown).',
  params: { seconds: z.number().min(0).max(3600) },
  async run({ seconds }) {
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    return seconds;
  },
});

export const raiseError = defineTask({
  name: 'gwqueue.tasks.core.raise_error',
  description: 'Fails on purpose with the given message, to test alerting (logs, Sentry, Nagios) end to end.',
  params: { message: z.string().max(1000).default('raised on purpose'), transient: z.boolean().default(false) },
  retry: { attempts: 2, backoffMs: 100 },
  async run({ message, transient }) {
    if (transient) throw new TransientError(message);
    throw new Error(message);
  },
});

export const groupResults = defineTask({
  name: GROUP_RESULTS_TASK,
  description: 'Collects the results of a group, in order (used by group()).',
  params: { results: z.array(z.unknown()) },
  internal: true,
  async run({ results }) {
    return results;
  },
});
