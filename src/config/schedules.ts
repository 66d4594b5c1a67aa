// Periodic tasks (BullMQ job schedulers the workers keep in Redis): each one switchable, with its interval.
import { parseBoolean, parseInteger } from './parse.js';

type Env = Record<string, string | undefined>;

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

export const SCHEDULE_SETTINGS: Record<string, { default: string; help: string }> = Object.fromEntries(
  SCHEDULE_NAMES.flatMap((name) => {
    const env = SCHEDULE_ENV[name];
    return [
      [
        env.switch,
        { default: 'on (off under test)', help: `schedule ${name}: ${env.what}; off removes it from Redis when a worker starts` },
      ],
      [env.every, { default: String(env.defaultEverySeconds), help: `seconds between two runs of schedule ${name} (at least 1)` }],
    ];
  }),
);

/** Schedules are off by default under the test profile: a test suite's workers must not upload events it did not ask for. */
export function loadSchedulesConfig(env: Env, profile: string): SchedulesConfig {
  const out = {} as SchedulesConfig;
  for (const name of SCHEDULE_NAMES) {
    const names = SCHEDULE_ENV[name];
    const everySeconds = parseInteger(env, names.every, names.defaultEverySeconds, { min: 1, max: 366 * 86_400 });
    out[name] = { enabled: parseBoolean(env, names.switch, profile !== 'test'), everyMs: everySeconds * 1000 };
  }
  return out;
}
