// Task result pages: GET /tasks/:id (HTML, refreshes until done), GET /api/tasks/:id (JSON, ?wait=S to wait for the end),
// GET /api/tasks/:id/file (a file result's bytes, a circular's text); the retry button posts to task.retry's route (actions/task-actions.ts).
import type { Request, Response, NextFunction, RequestHandler } from 'express';
import { z } from 'zod';
import { Job } from 'bullmq';
import { describeJob, FINISHED_STATES, type TaskInfo, type TaskState } from '../../queue/results.js';
import { readUntilFinished } from '../../queue/async-result.js';
import { describeFileResult, isFileResult, type FileSummary } from '../../queue/file-result.js';
import type { WebContext } from '../context.js';
import { gracedbLinks } from '../gracedb/pages.js';
import { sendError } from '../middleware/errors.js';
import { hasRole } from '../../config/web.js';
import { redactorFor } from '../../log/redact.js';
import { rootOf } from '../middleware/url-prefix.js';
import { TASK_ID } from '../../queue/types.js';
import { circularFileName, circularOf } from '../../tasks/circular-result.js';

export interface TaskPayload extends TaskInfo {
  finished: boolean;
  logs: string[];
  url: string;
}

const ID = TASK_ID;

/** `root`: the console's URL prefix, in front of the links the payload gives (its page, its file). */
async function loadTask(ctx: WebContext, id: string, root: string): Promise<TaskPayload | undefined> {
  return (await loadJob(ctx, id, root))?.task;
}

async function loadJob(ctx: WebContext, id: string, root: string): Promise<{ task: TaskPayload; job: Job } | undefined> {
  // Job, state and logs together: the task page and API clients poll this several times a second.
  const reading = await ctx.client.readTask(id, 200);
  if (!reading) return undefined;
  const { job, state, logs } = reading;
  const info = await describeJob(ctx.client, job, state as TaskState);
  // Arguments, result, error, stack and the task's log lines are shown (page and JSON): redacted as the logs are.
  const redactor = redactorFor(ctx.config);
  const shown = redactor.value({ ...info, result: shownResult(info, root) });
  return {
    task: { ...shown, finished: FINISHED_STATES.includes(info.state), logs: logs.map(redactor.text), url: `${root}/tasks/${info.id}` },
    job,
  };
}

/** A task's stack trace shows install paths and internals: only admins see it (page and JSON); others get the message. */
export function forViewer<T extends { error: TaskInfo['error'] }>(req: Request, task: T): T {
  if (!task.error?.stack || hasRole(req.identity.role, 'admin')) return task;
  return { ...task, error: { ...task.error, stack: null } };
}

/** A file result is described (name, type, size, text) with a download link instead of its base64. */
export function shownResult(info: TaskInfo, root: string): unknown {
  return isFileResult(info.result)
    ? { file: { ...describeFileResult(info.result, info.id).file, url: fileUrl(root, info.id) } }
    : info.result;
}

/**
 * The file of a result that shownResult described, else undefined. By its whole shape: a task's own result may have a
 * `file` key too (a GraceDB log entry's `file` is its URL), and that is shown as the JSON it is.
 */
function shownFile(result: unknown): (FileSummary & { url: string }) | undefined {
  if (!result || typeof result !== 'object' || Object.keys(result).join() !== 'file') return undefined;
  const file = (result as { file: unknown }).file as Partial<FileSummary & { url: string }> | null;
  const described = file && typeof file === 'object' && typeof file.name === 'string' && typeof file.contentType === 'string';
  return described && typeof file.size === 'number' && typeof file.url === 'string' ? (file as FileSummary & { url: string }) : undefined;
}

const fileUrl = (root: string, id: string) => `${root}/api/tasks/${encodeURIComponent(id)}/file`;

const notFoundMessage = (id: string) => `No task with ID ${id}: it was never submitted, or it was removed after its retention time.`;

export function taskPage(ctx: WebContext) {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const id = String(req.params.id);
      const loaded = await loadTask(ctx, id, rootOf(req));
      if (!loaded) return sendError(req, res, 404, 'Unknown task', notFoundMessage(id));
      const task = forViewer(req, loaded);
      const file = shownFile(task.result);
      // A circular is shown as the text an operator pastes into GCN (with a copy button and a .txt download), not as
      // JSON with its newlines escaped; /api/tasks/:id keeps the JSON.
      const circular = file ? undefined : circularOf(task.result);
      const shown = file ? (file.text ?? null) : circular ? circular.text : task.result;
      const result =
        shown === null || shown === undefined
          ? null
          : typeof shown === 'string' && (file || circular)
            ? shown
            : JSON.stringify(shown, null, 2);
      res.render('task', {
        title: `Task ${task.id}`,
        task,
        result,
        file: file ?? null,
        circular: circular ? { name: circularFileName(circular), url: fileUrl(rootOf(req), task.id) } : null,
        resultFolded: (result?.length ?? 0) > 4000,
        gracedb: gracedbLinks(ctx, req, [task.args, task.kwargs, file ? null : task.result]),
      });
    } catch (error) {
      next(error);
    }
  };
}

/** `?wait=S` on /api/tasks/:id: answer once the task has finished, or after S seconds (as Flower's `?timeout=`). */
export const MAX_WAIT_SECONDS = 30;
const WAIT_PROBLEM = `must be a number of seconds from 0 to ${MAX_WAIT_SECONDS}`;
/** One value only (`wait=1&wait=2` is a list), a decimal number of seconds in range. */
const WAIT = z
  .string()
  .regex(/^\s*\d*\.?\d+\s*$/)
  .transform(Number)
  .pipe(z.number().min(0).max(MAX_WAIT_SECONDS))
  .optional();

export function taskApi(ctx: WebContext): RequestHandler[] {
  const handler = async (req: Request, res: Response, next: NextFunction) => {
    try {
      if (!WAIT.safeParse(req.query.wait).success)
        return res.status(400).json({ error: 'invalid input', fields: { wait: WAIT_PROBLEM }, status: 400 });
      const id = String(req.params.id);
      const waitMs = req.query.wait === undefined ? 0 : Number(req.query.wait) * 1000;
      // A task removed while we wait keeps its last reading; one unknown from the start is a 404.
      let last: Awaited<ReturnType<typeof loadJob>>;
      const read = async () => (last = (await loadJob(ctx, id, rootOf(req))) ?? last);
      const first = await read();
      const queueName = waitMs > 0 && first && !first.task.finished ? first.task.queue : undefined;
      // A client that goes away ends the wait (made only for a wait: an AbortController a request is not free).
      const gone = queueName ? new AbortController() : undefined;
      if (gone) res.once('close', () => gone.abort());
      const loaded =
        queueName && gone
          ? await readUntilFinished(ctx.client, queueName, id, {
              timeoutMs: waitMs,
              read,
              finished: (reading) => !reading || reading.task.finished,
              signal: gone.signal,
            })
          : first;
      if (gone?.signal.aborted) return;
      if (!loaded) return res.status(404).json({ error: notFoundMessage(id), status: 404 });
      res.set('Cache-Control', 'no-store').json(forViewer(req, loaded.task));
    } catch (error) {
      next(error);
    }
  };
  return [handler];
}

/** GET /api/tasks/:id/file: a finished task's file result as a download, under its own name and content type; a circular as a .txt. */
export function taskFile(ctx: WebContext): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const id = String(req.params.id);
      const job = ID.test(id) ? await ctx.client.findJob(id) : undefined;
      if (!job) return res.status(404).json({ error: notFoundMessage(id), status: 404 });
      const state = await job.getState();
      const circular = state === 'completed' ? circularOf(job.returnvalue) : undefined;
      if (circular) {
        // A circular downloads as its text (what the task page shows), redacted as the page is.
        const text = redactorFor(ctx.config).text(circular.text);
        return res.attachment(circularFileName(circular)).type('text/plain; charset=utf-8').set('Cache-Control', 'no-store').send(text);
      }
      if (state !== 'completed' || !isFileResult(job.returnvalue)) {
        const why = state === 'completed' ? 'its result is not a file' : `it is ${state}, not completed`;
        return res.status(404).json({ error: `Task ${id} has no file to download: ${why}.`, status: 404 });
      }
      const { bytes, file } = describeFileResult(job.returnvalue, id);
      // attachment(): Content-Disposition with the name quoted and encoded (RFC 6266); the type is ours, not Express's guess.
      res.attachment(file.name).type(file.contentType).set('Cache-Control', 'no-store').send(bytes);
    } catch (error) {
      next(error);
    }
  };
}
