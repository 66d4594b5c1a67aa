// Periodic tasks, declared beside their task (defineSchedule), and the small task a schedule's BullMQ job runs to start it.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { SCHEDULE_NAMES, type ScheduleName } from '../config/schedules.js';
import { defineTask, type Task } from '../queue/registry.js';
import { scheduleKeys } from '../redis/keys.js';
import type { Config } from '../config/index.js';
import { services } from '../tasks/services.js';

export interface ScheduleDefinition {
  /** Its name in the configuration (GWQUEUE_SCHEDULE_…), in `inspect scheduled`, on the dashboard and in /metrics. */
  name: ScheduleName;
  /** The task it runs (no arguments); the schedule lives on that task's queue, so its workers keep it. */
  task: Task;
  description: string;
}

const schedules = new Map<ScheduleName, ScheduleDefinition>();

/** Declares a schedule next to its task; its interval and on/off switch come from the configuration. */
export function defineSchedule(definition: ScheduleDefinition): ScheduleDefinition {
  if (!SCHEDULE_NAMES.includes(definition.name)) throw new Error(`schedule "${definition.name}" has no settings in config/schedules.ts`);
  if (schedules.has(definition.name)) throw new Error(`schedule "${definition.name}" is defined twice`);
  definition.task.bind([], {}); // a schedule runs its task without arguments: throws now if the task needs some
  schedules.set(definition.name, definition);
  return definition;
}

/** Every declared schedule, by name (the task modules must be loaded: tasks/index.ts). */
export function allSchedules(): ScheduleDefinition[] {
  return [...schedules.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** What a schedule's latest firing started (written by the fire task). */
export interface LastRun {
  /** The task it enqueued (a UUID derived from the firing, so a firing run twice enqueues one task). */
  taskId: string;
  task: string;
  /** The slot it fired for (ms) and when it did. */
  scheduledFor: number;
  firedAt: number;
  /** The BullMQ job of the firing (`repeat:<schedule>:<slot>`). */
  firingId: string;
}

/** The name of the job a schedule's BullMQ job scheduler makes at each interval. */
export const FIRE_TASK = 'gwqueue.schedules.fire';

/** A UUID-shaped ID for the task one firing enqueues: the same firing (picked up again after a crash) gives the same ID. */
export function scheduledTaskId(config: Config, firingId: string): string {
  const hex = createHash('sha256').update(`${config.prefix}:schedule:${firingId}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Runs at each interval, once however many workers keep the schedule (BullMQ gives each slot one job ID): enqueues
 * the schedule's task as an ordinary task (a UUID, its own page, "submitted by schedule NAME") and records it.
 */
defineTask({
  name: FIRE_TASK,
  description: "Starts one run of a schedule's task (made by the schedule's BullMQ job scheduler at each interval).",
  params: { schedule: z.enum(SCHEDULE_NAMES) },
  internal: true,
  async run({ schedule }, ctx) {
    const definition = schedules.get(schedule);
    if (!definition) throw new Error(`schedule "${schedule}" is not declared in this worker's task modules`);
    const { config, redis, enqueue } = services();
    const taskId = scheduledTaskId(config, ctx.id);
    // BullMQ names the job after its slot: `repeat:<scheduler>:<ms>`.
    const scheduledFor = Number(/:(\d+)$/.exec(ctx.id)?.[1] ?? ctx.submittedAt);
    await enqueue(definition.task.si(), taskId, `schedule ${schedule}`);
    const run: LastRun = { taskId, task: definition.task.name, scheduledFor, firedAt: Date.now(), firingId: ctx.id };
    await redis.hset(scheduleKeys.lastRun(config), schedule, JSON.stringify(run));
    return { schedule, task: definition.task.name, task_id: taskId, scheduled_for: new Date(scheduledFor).toISOString() };
  },
});
