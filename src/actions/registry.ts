// Every operator action, declared once in the file of its concept: the lists the route table, `gwqueue control`, the dashboard's task buttons, the audit vocabulary and docs/actions.md are made from.
import type { AnyAction, CliEntry, TaskButton, WebEntry } from './pipeline.js';
import { TASK_ACTIONS } from './task-actions.js';
import { QUEUE_ACTIONS } from './queue-actions.js';
import { WORKER_ACTIONS } from './worker-actions.js';
import { SUBMIT_ACTIONS } from './submit-actions.js';

/**
 * Every action but the forms', in the order docs/actions.md lists them. The forms' actions are FORM_ACTIONS
 * (form-action.ts), kept apart so that `gwqueue control` does not load every form and its tasks.
 */
export const CONTROL_ACTIONS: readonly AnyAction[] = [...TASK_ACTIONS, ...QUEUE_ACTIONS, ...WORKER_ACTIONS, ...SUBMIT_ACTIONS];

/** Every URL that runs an action, with its action: the controls', then the forms' (`forms`: FORM_ACTIONS). */
export function actionWebEntries(forms: readonly AnyAction[]): { action: AnyAction; web: WebEntry }[] {
  return [...CONTROL_ACTIONS, ...forms].flatMap((action) => (action.web ?? []).map((web) => ({ action, web })));
}

/** The `gwqueue control` subcommands, in declaration order. */
export function controlCommands(): { action: AnyAction; cli: CliEntry }[] {
  return CONTROL_ACTIONS.flatMap((action) => (action.cli ? [{ action, cli: action.cli }] : []));
}

/** The buttons of a task row on the dashboard: each action with a button and a dashboard path `/tasks/:id/…`. */
export function taskButtons(): (TaskButton & { path: string })[] {
  return CONTROL_ACTIONS.flatMap((action) => {
    const web = action.web?.find((entry) => entry.area === 'dashboard' && entry.path.startsWith('/tasks/:id/'));
    return action.button && web ? [{ ...action.button, path: web.path }] : [];
  });
}

/** Every name the audit log may hold, patterns as the docs write them (`form.<name>`). */
export function allActionNames(): string[] {
  return [...CONTROL_ACTIONS.map((action) => action.name), 'form.<name>', 'gracedb.<write>'];
}

/** Every action name the audit log may hold, for its filter: the forms' (with their titles), then the other actions'. */
export function auditActionNames(forms: readonly AnyAction[]): { action: string; title: string }[] {
  return [
    ...forms.map((action) => ({ action: action.name, title: action.title })),
    ...CONTROL_ACTIONS.map((action) => ({ action: action.name, title: action.name })),
  ];
}
