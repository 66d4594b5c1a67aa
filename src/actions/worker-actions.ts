// Actions on workers: forget an offline one (dashboard), and the remote commands they obey (concurrency, shutdown) over the control channel.
import { z } from 'zod';
import { forgetWorker as forgetHeartbeat, seenWorkers, WORKER_NAME } from '../queue/heartbeats.js';
import type { AuditOutcome } from '../audit/audit-log.js';
import { ActionRefusal, defineAction, type AnyAction, type OperatorAction } from './pipeline.js';
import type { WorkerCommand } from './worker-commands.js';

/** Removes an offline worker from the lists; it comes back if it starts again. */
export const forgetWorker = defineAction({
  name: 'worker.forget',
  title: 'Forget worker',
  forbidden: 'forget workers',
  confirm: true,
  once: 'state check',
  input: z.object({ worker: z.string({ error: 'is required' }).transform((name) => name.slice(0, 200)) }),
  async prepare(deps, { worker: name }) {
    const worker = (await seenWorkers(deps.redis, deps.config, 0)).find((w) => w.name === name);
    if (!worker) throw new ActionRefusal('not-found', `No worker named ${name} is known.`, { worker: name });
    if (worker.online)
      throw new ActionRefusal('refused', `Worker ${name} is online; only an offline worker can be forgotten.`, { worker: name });
    return {
      value: name,
      fields: { worker: name },
      description: `Remove offline worker ${name} from the list (it comes back if it starts again).`,
    };
  },
  async act(deps, { value: name }) {
    await forgetHeartbeat(deps.redis, deps.config, name);
    return { message: `Forgot worker ${name}` };
  },
  web: [{ area: 'dashboard', path: '/workers/:worker/forget', entry: 'dashboard', back: '/', flower: true }],
  doc: { rule: 'a known worker that is offline', audited: 'the worker' },
});

interface Command {
  destination: string[];
  args: Record<string, unknown>;
  timeoutMs: number;
}

/** Worker names: a list, or comma-separated text as a command line gives them. */
const workerNames = z
  .union([z.array(z.string()), z.string()], { error: 'must give at least one worker name' })
  .transform((value) => (Array.isArray(value) ? value : value.split(',')).map((name) => name.trim()).filter(Boolean))
  .refine((names) => names.length > 0, 'must give at least one worker name')
  .superRefine((names, ctx) => {
    const bad = names.filter((name) => !WORKER_NAME.test(name));
    if (bad.length)
      ctx.addIssue({ code: 'custom', message: `has an invalid worker name: ${bad.map((name) => `"${name.slice(0, 100)}"`).join(', ')}` });
  });

const timeout = z.coerce.number({ error: 'must be a positive number of seconds' }).positive('must be a positive number of seconds');

/** One remote command to the named workers (Celery's broadcast): audited with every reply, or who did not answer. */
function workerCommand<A extends Record<string, unknown>>(
  command: WorkerCommand,
  title: string,
  args: z.ZodObject<z.ZodRawShape, z.core.$strip>,
  doc: { rule: string; audited: string },
  cli: { usage: string; description: string },
  /** The command's arguments on the wire (worker/control.ts reads them). */
  wire: (input: A) => Record<string, unknown> = () => ({}),
): OperatorAction<{ workers: string[]; timeoutMs: number } & A, Command> {
  return defineAction({
    name: `worker.${command}`,
    title,
    forbidden: command === 'shutdown' ? 'shut workers down' : 'command workers',
    // Stopping a worker stops the alert pipeline's processing; changing concurrency does not.
    role: command === 'shutdown' ? 'admin' : 'operator',
    confirm: command === 'shutdown',
    once: 'state check',
    input: args.extend({ workers: workerNames, timeoutMs: timeout }) as unknown as z.ZodType<{ workers: string[]; timeoutMs: number } & A>,
    async prepare(_deps, input) {
      const { workers: destination, timeoutMs, ...rest } = input;
      return {
        value: { destination, args: wire(rest as unknown as A), timeoutMs },
        fields: { workers: destination.join(','), ...rest },
        description: `${title}: ${destination.join(', ')}.`,
      };
    },
    async act(deps, { value: { destination, args: given, timeoutMs } }, actor) {
      const result = await deps.control.send({
        action: command,
        destination,
        args: given,
        timeoutMs,
        sender: `${actor.user}@${actor.address}`,
      });
      const failed = result.replies.filter((r) => !r.ok);
      const audit: AuditOutcome = result.missing.length || !result.replies.length ? 'unavailable' : failed.length ? 'error' : 'accepted';
      const message =
        [
          ...result.replies.map((r) => `${r.worker}: ${r.ok ? 'ok' : 'error'}: ${r.message}`),
          ...result.missing.map((name) => `no reply from ${name}`),
        ].join('; ') || 'no worker replied';
      return { message, audit, data: { replies: result.replies, missing: result.missing } };
    },
    cli: { ...cli, replies: true },
    doc,
  });
}

export const setConcurrency = workerCommand<{ N: number }>(
  'concurrency',
  'Set worker concurrency',
  z.object({
    N: z.coerce
      .number({ error: 'must be a whole number from 1 to 1000' })
      .int('must be a whole number from 1 to 1000')
      .min(1, 'must be a whole number from 1 to 1000')
      .max(1000, 'must be a whole number from 1 to 1000'),
  }),
  {
    rule: 'N a whole number from 1 to 1000; sent over the control channel',
    audited: 'the workers and N; each reply, or `unavailable` when one did not answer',
  },
  { usage: 'concurrency <workers> <N>', description: 'set how many tasks a worker runs at once per queue (comma-separated worker names)' },
  ({ N }) => ({ n: N }),
);
export const shutdownWorkers = workerCommand(
  'shutdown',
  'Shut workers down',
  z.object({}),
  {
    rule: 'sent over the control channel; the worker finishes its active tasks, then exits',
    audited: 'the workers; each reply, or `unavailable`',
  },
  {
    usage: 'shutdown <workers>',
    description: 'stop workers gracefully: they finish their active tasks, then exit (comma-separated worker names)',
  },
);

/** The worker actions, in the order the docs list them. */
export const WORKER_ACTIONS: readonly AnyAction[] = [forgetWorker, setConcurrency, shutdownWorkers];
