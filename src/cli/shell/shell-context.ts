// What `gwqueue shell` preloads: the app, every task (module.task and by dotted name), chain, group, the GraceDB client and Redis.
import type { Config } from '../../config/index.js';
import type { TaskClient } from '../../queue/client.js';
import { AsyncResult } from '../../queue/async-result.js';
import { chain, group, type ApplyOptions, type Canvas } from '../../queue/canvas.js';
import { allTasks, type Task } from '../../queue/registry.js';
import { describeRedis } from '../../redis/connection.js';
import type { Services } from '../../tasks/services.js';
import { shellSubmit } from '../../actions/submit-actions.js';
import { runFromTerminal } from '../run-action.js';
import { shellValue } from './shell-writer.js';

/** AsyncResult whose get() gives what the shell shows: a text file result as its text (shellValue). */
class ShellAsyncResult extends AsyncResult {
  override async get(options: { timeout?: number } = {}): Promise<unknown> {
    return shellValue(await super.get(options));
  }
}

/** A submitted task whose result can be awaited without awaiting the submission first: `await t.delay(1).get()`. */
export type PendingResult = Promise<AsyncResult> & {
  get(options?: { timeout?: number }): Promise<unknown>;
  info(): ReturnType<AsyncResult['info']>;
  state(): Promise<string>;
};

/** Context names the shell defines itself; a task module of the same name would be hidden. */
const RESERVED = new Set([
  'app',
  'tasks',
  'gwqueue',
  'chain',
  'group',
  'gracedbClient',
  'redis',
  'outbox',
  'config',
  'AsyncResult',
  'services',
]);

export interface ShellContext {
  context: Record<string, unknown>;
  banner: string[];
}

export function buildShellContext(client: TaskClient, config: Config, deps: Services, versions: { gwqueue: string }): ShellContext {
  const pending = (promise: Promise<AsyncResult>): PendingResult =>
    Object.assign(promise, {
      get: (options?: { timeout?: number }) => promise.then((result) => result.get(options)),
      info: () => promise.then((result) => result.info()),
      state: () => promise.then((result) => result.state()),
    });
  // Every submission from the shell runs through the action pipeline (shell.submit, audited), as the console's forms
  // and `gwqueue call` do; bad arguments are thrown as they are, for the shell to show.
  const audited = async (canvas: Canvas): Promise<AsyncResult> => {
    const outcome = await runFromTerminal(client, config, shellSubmit, { canvas }, { entry: 'shell' });
    if (outcome.kind !== 'done' || !outcome.taskId) throw new Error(outcome.message);
    return new ShellAsyncResult(outcome.taskId, client);
  };
  const apply = (canvas: Canvas) => pending(audited(canvas));
  /** Celery's `sig.delay()` / `chain(...).apply_async()`: methods hidden from JSON and from the flow builder. */
  const callable = <C extends Canvas>(canvas: C): C => {
    Object.defineProperties(canvas, {
      delay: { value: () => apply(canvas), enumerable: false },
      applyAsync: { value: () => apply(canvas), enumerable: false },
      apply_async: { value: () => apply(canvas), enumerable: false },
    });
    return canvas;
  };
  const wrap = (task: Task) => {
    const wrapper = Object.create(task) as Task & Record<string, unknown>;
    const applyAsync = (options: ApplyOptions & { args?: unknown[]; kwargs?: Record<string, unknown> } = {}) => {
      const { args = [], kwargs = {}, ...rest } = options;
      return apply(task.signature(args, kwargs, rest, true));
    };
    Object.assign(wrapper, {
      delay: (...args: unknown[]) => apply(task.si(...args)),
      applyAsync,
      /**
       * Celery's spelling, in both of its shapes: `apply_async([1, 2], { key: 1 }, { countdown: 10 })` (args, kwargs,
       * options, as Celery's positional call reads) or `apply_async({ args: [1, 2], countdown: 10 })` (as applyAsync).
       */
      apply_async: (
        first?: unknown[] | (ApplyOptions & { args?: unknown[]; kwargs?: Record<string, unknown> }),
        kwargs?: Record<string, unknown>,
        options?: ApplyOptions,
      ) => (Array.isArray(first) ? applyAsync({ ...options, args: first, kwargs }) : applyAsync(first)),
      s: (...args: unknown[]) => callable(task.s(...args)),
      si: (...args: unknown[]) => callable(task.si(...args)),
      signature: (args?: unknown[], kwargs?: Record<string, unknown>, options?: ApplyOptions, immutable?: boolean) =>
        callable(task.signature(args, kwargs, options, immutable)),
      toString: () => `<task ${task.name}(${task.paramNames.join(', ')})>`,
    });
    return wrapper;
  };

  const tasks: Record<string, unknown> = {};
  const dotted: Record<string, unknown> = {};
  const modules: Record<string, Record<string, unknown>> = {};
  const hidden: string[] = [];
  for (const task of allTasks().sort((a, b) => a.name.localeCompare(b.name))) {
    const wrapper = wrap(task);
    tasks[task.name] = wrapper;
    // `gwqueue.tasks.core.add` as a path, as the task's name reads.
    const parts = task.name.split('.');
    let node = dotted;
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    node[parts[parts.length - 1]] = wrapper;
    if (task.internal) continue;
    const match = /^gwqueue\.tasks\.([a-z0-9_]+)\.([a-z0-9_]+)$/.exec(task.name);
    if (!match) continue;
    if (RESERVED.has(match[1])) {
      if (!hidden.includes(match[1])) hidden.push(match[1]);
      continue;
    }
    (modules[match[1]] ??= {})[match[2]] = wrapper;
  }

  const app = {
    config,
    client,
    tasks,
    services: deps,
    /** Enqueues a signature or canvas. */
    apply,
    AsyncResult: (id: string) => new ShellAsyncResult(id, client),
  };
  const context: Record<string, unknown> = {
    app,
    tasks,
    gwqueue: dotted.gwqueue ?? {},
    ...modules,
    chain: (...steps: Canvas[]) => callable(chain(...steps)),
    group: (...members: Canvas[]) => callable(group(...members)),
    gracedbClient: deps.gracedb,
    redis: client.redis,
    outbox: deps.outbox,
    config,
    AsyncResult: app.AsyncResult,
  };
  const names = Object.keys(modules).sort();
  const banner = [
    `gwqueue ${versions.gwqueue} shell · Node.js ${process.version} · Redis at ${describeRedis(config)} · profile ${config.profile}`,
    `Tasks by module: ${names.join(', ')} (e.g. core.add); by dotted name: tasks['gwqueue.tasks.core.add'] or gwqueue.tasks.core.add`,
    'Also loaded: app, chain, group, gracedbClient (the GraceDB client; "gracedb" is the task module), redis, outbox, config, AsyncResult(id)',
    ...(hidden.length
      ? [`Task module${hidden.length > 1 ? 's' : ''} ${hidden.join(', ')} only as gwqueue.tasks.… (the short name is taken)`]
      : []),
    'Submit as Celery does: task.delay(...args), task.apply_async([args], {kwargs}, {countdown}) (or applyAsync), chain(...).delay()',
    "Example: await gracedb.download.delay('coinc.xml', 'M6757').get()   (a text file comes back as its text; top-level await works; Ctrl-D quits)",
  ];
  return { context, banner };
}
