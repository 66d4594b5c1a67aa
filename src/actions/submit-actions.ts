// What a terminal enqueues by hand: `gwqueue call` (task.call) and the shell's submissions (shell.submit); the rule is each task's argument schema.
import { ACTION_NAMES } from '../audit/vocabulary.js';
import { buildFlow, type ApplyOptions, type Canvas, type Signature } from '../queue/canvas.js';
import { getTask } from '../queue/registry.js';
import { submitter, type Done, type OperatorAction } from './pipeline.js';
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

/** The check of a call, without Redis: `gwqueue call` runs it before it connects, the pipeline as the action's validate. */
export function checkCall(input: CallInput): Prepared<Signature> {
  const { task, args, kwargs, ...options } = input;
  const signature = getTask(task).signature(args, kwargs, options, true);
  checkCanvas(signature);
  const fields = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
  return { value: signature, fields, description: `queued ${task}` };
}

/** `gwqueue call NAME`: one task; audited with the task, its arguments and the options given. */
export const callTask: OperatorAction<Signature> = {
  name: ACTION_NAMES.taskCall,
  title: 'Call a task',
  forbidden: 'call tasks',
  confirm: false,
  validate: async (_deps, input) => checkCall(input as unknown as CallInput),
  act: enqueue,
};

/** What `gwqueue shell` enqueues (`task.delay()`, `chain(…).delay()`, `app.apply(…)`): audited with its steps. */
export const shellSubmit: OperatorAction<Canvas> = {
  name: ACTION_NAMES.shellSubmit,
  title: 'Submit from the shell',
  forbidden: 'submit tasks',
  confirm: false,
  async validate(_deps, input) {
    const canvas = input.canvas as Canvas;
    checkCanvas(canvas);
    const steps = stepsOf(canvas);
    return { value: canvas, fields: { steps }, description: `queued ${steps.map((step) => step.task).join(', ')}` };
  },
  act: enqueue,
};
