// What a terminal enqueues by hand: `gwqueue call` (task.call) and the shell's submissions (shell.submit); the rule is each task's argument schema.
import { z } from 'zod';
import { buildFlow, type ApplyOptions, type Canvas, type Signature } from '../queue/canvas.js';
import { getTask } from '../queue/registry.js';
import { defineAction, submitter, type AnyAction, type Done } from './pipeline.js';
import type { ActionDeps, Actor, Prepared } from './pipeline.js';

/**
 * Checks every step's task name, arguments and options as apply would (the flow is built and dropped). A bad one is
 * thrown as it is (UnknownTaskError, TaskArgumentError, CanvasError: the CLI's exit 64, the shell's error line), before
 * anything is written.
 */
export function checkCanvas(canvas: Canvas): void {
  buildFlow(canvas, { now: Date.now(), jobOptions: () => ({}) });
}

/** The tasks of a canvas in order, with their arguments: what an audit entry records. */
export function stepsOf(canvas: Canvas): { task: string; args: unknown[]; kwargs: Record<string, unknown> }[] {
  if (canvas.kind === 'signature') return [{ task: canvas.task, args: canvas.args, kwargs: canvas.kwargs }];
  return (canvas.kind === 'chain' ? canvas.steps : canvas.members).flatMap(stepsOf);
}

async function enqueue<T extends Canvas>(deps: ActionDeps, prepared: Prepared<T>, actor: Actor): Promise<Done> {
  const { id } = await deps.client.apply(prepared.value, { submittedBy: submitter(actor) });
  return { message: prepared.description, taskId: id, enqueued: true };
}

/** What `gwqueue call` hands over: the task's name, its arguments and the options as parsed. */
export interface CallInput extends ApplyOptions {
  task: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
}

/**
 * A call as the terminal parsed it, checked as apply would check it (the task's argument schema, the options): a bad
 * one is thrown as it is (UnknownTaskError, TaskArgumentError, CanvasError: the CLI's exit 64), before anything is written.
 */
const callInput = z.custom<CallInput>(
  (value) => typeof value === 'object' && value !== null && typeof (value as CallInput).task === 'string',
);

/** `gwqueue call NAME`: one task; audited with the task, its arguments and the options given. */
export const callTask = defineAction({
  name: 'task.call',
  title: 'Call a task',
  forbidden: 'call tasks',
  confirm: false,
  // Each call or submission is a new task: a terminal retries nothing by itself.
  once: '-',
  input: callInput.transform((input) => {
    const { task, args, kwargs, ...options } = input;
    const signature = getTask(task).signature(args, kwargs, options, true);
    checkCanvas(signature);
    const fields = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
    return { signature, fields };
  }),
  prepare: async (_deps, { signature, fields }) => ({ value: signature as Signature, fields, description: `queued ${signature.task}` }),
  act: enqueue,
  doc: {
    rule: "the task's argument schema, checked before connecting (exit 64; a refused call is not audited)",
    audited: 'task, args, kwargs and the options given (queue, countdown, eta, expires); the task ID',
    also: '`gwqueue call NAME` (`src/cli/call.ts`)',
  },
});

/** What `gwqueue shell` enqueues (`task.delay()`, `chain(…).delay()`, `app.apply(…)`): audited with its steps. */
export const shellSubmit = defineAction({
  name: 'shell.submit',
  title: 'Submit from the shell',
  forbidden: 'submit tasks',
  confirm: false,
  // Each call or submission is a new task: a terminal retries nothing by itself.
  once: '-',
  input: z.object({ canvas: z.custom<Canvas>((value) => typeof value === 'object' && value !== null) }),
  async prepare(_deps, { canvas }) {
    checkCanvas(canvas);
    const steps = stepsOf(canvas);
    return { value: canvas, fields: { steps }, description: `queued ${steps.map((step) => step.task).join(', ')}` };
  },
  act: enqueue,
  doc: {
    rule: "the tasks' argument schemas (bad arguments are thrown as they are, for the shell to show, and not audited)",
    audited: 'the steps and arguments, `via: shell`; the task ID',
    also: 'what `gwqueue shell` enqueues (`task.delay()`, `chain(…).delay()`, `app.apply(…)`)',
  },
});

/** The submissions from a terminal, in the order the docs list them. */
export const SUBMIT_ACTIONS: readonly AnyAction[] = [callTask, shellSubmit];
