// Periodic tasks (BullMQ job schedulers the workers keep in Redis): each one switchable, with its interval.
import { boolean, integer, type Reader, type Setting, type Env } from './setting.js';

/** The schedules gwqueue knows; each is declared beside its task (schedules/schedule-registry.ts, defineSchedule). */
export const SCHEDULE_NAMES = ['mock-event', 'mock-snews'] as const;
export type ScheduleName = (typeof SCHEDULE_NAMES)[number];

export interface ScheduleSetting {
  enabled: boolean;
  /** Interval between two runs. */
  everyMs: number;
}

export type SchedulesConfig = Record<ScheduleName, ScheduleSetting>;

/** Environment names and defaults of each schedule: GWCelery's beat runs the mock event hourly, the SNEWS one two-hourly. */
const SCHEDULE_ENV: Record<ScheduleName, { switch: string; every: string; defaultEverySeconds: number; what: string }> = {
  'mock-event': {
    switch: 'GWQUEUE_SCHEDULE_MOCK_EVENT',
    every: 'GWQUEUE_SCHEDULE_MOCK_EVENT_EVERY',
    defaultEverySeconds: 3600,
    what: 'the mock (MDC) event upload, first2years.upload_event: the end-to-end canary Nagios watches',
  },
  'mock-snews': {
    switch: 'GWQUEUE_SCHEDULE_MOCK_SNEWS',
    every: 'GWQUEUE_SCHEDULE_MOCK_SNEWS_EVERY',
    defaultEverySeconds: 7200,
    what: 'the mock SNEWS external event upload, first2years_external.upload_snews_event',
  },
};

const WORKER: readonly Reader[] = ['worker'];

/** Each schedule's two settings, declared from SCHEDULE_ENV (setting.ts). */
const DECLARED = SCHEDULE_NAMES.map((name) => {
  const env = SCHEDULE_ENV[name];
  return {
    name,
    enabled: boolean(env.switch, {
      // Off under the test profile: a test suite's workers must not upload events it did not ask for.
      default: (profile) => profile !== 'test',
      shown: 'on (off under test)',
      help: `schedule ${name}: ${env.what}; off removes it from Redis when a worker starts`,
      readBy: WORKER,
    }),
    everySeconds: integer(env.every, {
      default: env.defaultEverySeconds,
      min: 1,
      max: 366 * 86_400,
      help: `seconds between two runs of schedule ${name} (at least 1)`,
      readBy: WORKER,
    }),
  };
});

export const SCHEDULE_SETTINGS: readonly Setting[] = DECLARED.flatMap(({ enabled, everySeconds }) => [enabled, everySeconds]);

export function loadSchedulesConfig(env: Env, profile: string): SchedulesConfig {
  const out = {} as SchedulesConfig;
  for (const { name, enabled, everySeconds } of DECLARED) {
    out[name] = { enabled: enabled.read(env, profile), everyMs: everySeconds.read(env, profile) * 1000 };
  }
  return out;
}
