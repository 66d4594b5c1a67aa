// The dashboard's controls: retry, cancel, pause, resume, clean, forget. Authorized users only, each written to the audit log, destructive ones confirmed first.
import type { Request, Response, NextFunction, RequestHandler } from 'express';
import type { Job } from 'bullmq';
import { writeAudit, type AuditOutcome } from '../../audit/audit-log.js';
import { resubmit } from '../../queue/resubmit.js';
import { forgetWorker, seenWorkers } from '../../queue/heartbeats.js';
import { TaskIndex } from '../../task-index/task-index.js';
import type { WebContext } from '../context.js';
import { HttpError } from '../middleware/errors.js';
import { flash } from '../middleware/session.js';
import { CLEAN_AGES } from './queues.js';

interface Prepared {
  /** What is acted upon, for the audit log and the confirmation page. */
  fields: Record<string, string>;
  /** One sentence for the confirmation page. */
  description: string;
  job?: Job;
}

interface Done {
  message: string;
  redirect: string;
  taskId?: string;
  json?: Record<string, unknown>;
}

interface ControlSpec {
  action: string;
  title: string;
  /** Asks for confirmation first (a dialog with JavaScript, a page without). */
  destructive: boolean;
  prepare(req: Request): Promise<Prepared>;
  run(req: Request, prepared: Prepared): Promise<Done>;
}

const ID = /^[A-Za-z0-9_-]{1,100}$/;
const LOCAL_PATH = /^\/(?!\/)[A-Za-z0-9/_?=&%.:@+,~-]*$/;

/** Where to go afterwards: the page the form was on (a local path), else the default. */
function backTo(req: Request, fallback: string): string {
  const back = typeof req.body?.back === 'string' ? req.body.back : '';
  return LOCAL_PATH.test(back) ? back : fallback;
}

const answersJson = (req: Request) => req.identity.via === 'token' || req.accepts(['html', 'json']) === 'json';

function control(ctx: WebContext, base: string, spec: ControlSpec): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const identity = req.identity;
    const params = Object.fromEntries(Object.entries(req.params).map(([key, value]) => [key, String(value)]));
    const audit = (outcome: AuditOutcome, detail: string, fields: Record<string, string>, taskId: string | null = null) =>
      writeAudit(ctx.redis, ctx.config, { user: identity.user ?? 'anonymous', address: identity.address, action: spec.action, fields: { ...fields, via: 'dashboard' }, taskId, outcome, detail });
    let fields = params;
    try {
      if (!identity.authorized) {
        await audit('unauthorized', `not authorized to ${spec.title.toLowerCase()}`, fields);
        throw new HttpError(403, `You are not allowed to ${spec.title.toLowerCase()}. Nothing was changed.`);
      }
      const prepared = await spec.prepare(req).catch(async (error: unknown) => {
        if (error instanceof HttpError) await audit('rejected', error.message, fields);
        throw error;
      });
      fields = prepared.fields;
      if (spec.destructive && req.body?.confirmed !== 'yes' && !answersJson(req)) {
        const hidden = Object.fromEntries(Object.entries(req.body ?? {}).filter(([key, value]) => key !== '_csrf' && key !== 'confirmed' && typeof value === 'string')) as Record<string, string>;
        return res.render('flower/confirm', { title: `Confirm: ${spec.title}`, spec, prepared, action: req.originalUrl, hidden, back: backTo(req, `${base}/`) });
      }
      const done = await spec.run(req, prepared);
      await audit('accepted', done.message, fields, done.taskId ?? null);
      if (answersJson(req)) return res.json({ ok: true, message: done.message, ...done.json });
      flash(req, 'success', done.message);
      res.redirect(303, done.redirect);
    } catch (error) {
      next(error);
    }
  };
}

async function loadJob(ctx: WebContext, id: string): Promise<{ job: Job; state: string }> {
  const job = ID.test(id) ? await ctx.client.findJob(id) : undefined;
  if (!job) throw new HttpError(404, `No task with ID ${id}: it was never submitted, or it was removed after its retention time.`);
  return { job, state: await job.getState() };
}

async function knownQueue(ctx: WebContext, name: string): Promise<string> {
  if (!(await ctx.client.queueNames()).includes(name)) throw new HttpError(404, `There is no queue named ${name}.`);
  return name;
}

const CANCELLABLE = ['waiting', 'delayed', 'prioritized', 'paused', 'waiting-children'];
const AGE_MS: Record<string, number> = { '0': 0, '1h': 3_600_000, '1d': 86_400_000, '7d': 7 * 86_400_000 };

export function dashboardControls(ctx: WebContext, base: string) {
  const index = new TaskIndex(ctx.redis, ctx.config);
  const user = (req: Request) => req.identity.user ?? undefined;
  return {
    retry: control(ctx, base, {
      action: 'task.retry', title: 'Retry task', destructive: false,
      async prepare(req) {
        const { job, state } = await loadJob(ctx, String(req.params.id));
        if (state !== 'failed') throw new HttpError(409, `Only a failed task can be retried; this one is ${state}.`);
        return { job, fields: { id: job.id!, task: job.name }, description: `Run ${job.name} again with the same arguments.` };
      },
      async run(req, { job }) {
        let newId: string;
        try {
          newId = (await resubmit(ctx.client, job!.id!, { submittedBy: user(req) })).id;
        } catch (error) {
          if ((error as Error).name === 'CanvasError') throw new HttpError(409, (error as Error).message);
          throw error;
        }
        return { message: `Retried task ${job!.id} as task ${newId}`, redirect: `/tasks/${newId}`, taskId: newId, json: { id: newId, url: `/tasks/${newId}` } };
      },
    }),
    cancel: control(ctx, base, {
      action: 'task.cancel', title: 'Cancel task', destructive: true,
      async prepare(req) {
        const { job, state } = await loadJob(ctx, String(req.params.id));
        if (!CANCELLABLE.includes(state)) throw new HttpError(409, `Only a waiting or delayed task can be cancelled; this one is ${state}.`);
        const rootId = (job.data as { meta?: { rootId?: string } })?.meta?.rootId;
        if (job.parentKey) throw new HttpError(409, `Task ${job.id} is a step of a chain; cancel the chain's last task ${rootId ?? ''} instead.`);
        return { job, fields: { id: job.id!, task: job.name, state }, description: `Remove ${job.name} (${state}) from queue ${job.queueName}: it will not run.` };
      },
      async run(req, { job }) {
        try {
          await job!.remove();
        } catch (error) {
          throw new HttpError(409, `Task ${job!.id} could not be cancelled: ${(error as Error).message}`);
        }
        await index.remove([job!.id!]);
        return { message: `Cancelled task ${job!.id} (${job!.name})`, redirect: backTo(req, `${base}/tasks`) };
      },
    }),
    pause: control(ctx, base, {
      action: 'queue.pause', title: 'Pause queue', destructive: true,
      async prepare(req) {
        const queue = await knownQueue(ctx, String(req.params.name));
        return { fields: { queue }, description: `Stop every worker from taking new tasks from queue ${queue} until it is resumed. Running tasks finish.` };
      },
      async run(req, { fields }) {
        await ctx.client.queue(fields.queue).pause();
        return { message: `Paused queue ${fields.queue}`, redirect: backTo(req, `${base}/queues`) };
      },
    }),
    resume: control(ctx, base, {
      action: 'queue.resume', title: 'Resume queue', destructive: false,
      async prepare(req) {
        const queue = await knownQueue(ctx, String(req.params.name));
        return { fields: { queue }, description: `Let workers take tasks from queue ${queue} again.` };
      },
      async run(req, { fields }) {
        await ctx.client.queue(fields.queue).resume();
        return { message: `Resumed queue ${fields.queue}`, redirect: backTo(req, `${base}/queues`) };
      },
    }),
    clean: control(ctx, base, {
      action: 'queue.clean', title: 'Remove old tasks', destructive: true,
      async prepare(req) {
        const queue = await knownQueue(ctx, String(req.params.name ?? req.body?.queue ?? ''));
        const state = String(req.body?.state ?? '');
        const age = String(req.body?.age ?? '');
        if (state !== 'failed' && state !== 'completed') throw new HttpError(422, 'state must be "failed" or "completed".');
        if (!(age in AGE_MS)) throw new HttpError(422, `age must be one of ${Object.keys(AGE_MS).join(', ')}.`);
        const label = CLEAN_AGES[age as keyof typeof CLEAN_AGES];
        return { fields: { queue, state, age }, description: `Delete the ${state} tasks of queue ${queue} (${label}), with their results and errors. This cannot be undone.` };
      },
      async run(req, { fields }) {
        const queue = ctx.client.queue(fields.queue);
        const removed: string[] = [];
        for (;;) {
          // Small batches keep each call short: Redis serves everyone else in between.
          const batch = await queue.clean(AGE_MS[fields.age], 1000, fields.state as 'failed' | 'completed');
          removed.push(...batch);
          if (batch.length < 1000) break;
        }
        for (let i = 0; i < removed.length; i += 1000) await index.remove(removed.slice(i, i + 1000));
        const label = CLEAN_AGES[fields.age as keyof typeof CLEAN_AGES];
        return { message: `Removed ${removed.length} ${fields.state} task${removed.length === 1 ? '' : 's'} (${label}) from queue ${fields.queue}`, redirect: backTo(req, `${base}/queues`), json: { removed: removed.length } };
      },
    }),
    forget: control(ctx, base, {
      action: 'worker.forget', title: 'Forget worker', destructive: true,
      async prepare(req) {
        const name = String(req.params.name);
        const worker = (await seenWorkers(ctx.redis, ctx.config, 0)).find((w) => w.name === name);
        if (!worker) throw new HttpError(404, `No worker named ${name} is known.`);
        if (worker.online) throw new HttpError(409, `Worker ${name} is online; only an offline worker can be forgotten.`);
        return { fields: { worker: name }, description: `Remove offline worker ${name} from the list (it comes back if it starts again).` };
      },
      async run(req, { fields }) {
        await forgetWorker(ctx.redis, ctx.config, fields.worker);
        return { message: `Forgot worker ${fields.worker}`, redirect: backTo(req, `${base}/`) };
      },
    }),
  };
}
