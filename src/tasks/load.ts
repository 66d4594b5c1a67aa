// Loads only the task module a dotted name points to (gwqueue.tasks.<module>.<task>), so that `gwqueue call` starts fast.
import { hasTask } from '../queue/registry.js';

/** The middle part of a task name → its module (index.ts loads them all; a test keeps the two lists in step). */
export const TASK_MODULES: Record<string, () => Promise<unknown>> = {
  core: () => import('./core.js'),
  gracedb: () => import('./gracedb.js'),
  superevents: () => import('./superevents.js'),
  first2years: () => import('./first2years.js'),
  external_triggers: () => import('./external-triggers.js'),
  first2years_external: () => import('./first2years-external.js'),
  raven: () => import('./raven.js'),
  circulars: () => import('./circulars.js'),
  orchestrator: () => import('./orchestrator.js'),
  localization: () => import('./localization.js'),
  external_skymaps: () => import('./external-skymaps.js'),
  grb_searches: () => import('./grb-searches.js'),
};

/** Registers the named task; loads every task module when the name is not one of ours (for "did you mean" too). */
export async function loadTaskFor(name: string): Promise<void> {
  const module = /^gwqueue\.tasks\.([a-z0-9_]+)\.[a-z0-9_]+$/.exec(name)?.[1];
  if (module && Object.hasOwn(TASK_MODULES, module)) await TASK_MODULES[module]();
  if (!hasTask(name)) await import('./index.js');
}
