// The compatibility suite's form tests: the environment they run in (the console process, an in-process worker for every queue on the embedded GraceDB) and the HTTP calls a scripted client (API token) makes.
import assert from 'node:assert/strict';
import { eventually } from '../helpers/eventually.js';
import type { Processes, ProcessesOptions } from '../helpers/real-processes.js';

export const OPERATOR_TOKEN = 'compat-operator-token-0123456789';

export interface TaskReading {
  id: string;
  name: string;
  state: string;
  finished: boolean;
  result: unknown;
  error: { message: string } | null;
  steps: { task: string; state: string }[];
}

/** `env`: settings for both the console process and the worker (the same prefix, so they share queues and GraceDB). */
export function formStack(env: Record<string, string> = {}): ProcessesOptions {
  return {
    env: { GWQUEUE_API_TOKENS: `robot=${OPERATOR_TOKEN}`, GWQUEUE_JOINT_MDC_FREQ: '0', ...env },
    workers: [{}],
    services: true,
    web: { timeoutMs: 60_000 },
  };
}

export interface FormStack extends Processes {
  /** The console's address. */
  url: string;
  /** POSTs a form as a scripted operator (Accept: JSON): 202 with the task's ID, 422 with `fields`. */
  post(form: string, fields: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }>;
  /** Reads /api/tasks/<id> until the task has finished (bounded). */
  finished(id: string, timeoutSeconds?: number): Promise<TaskReading>;
  /** POSTs a form that must be accepted (202) and reads its task until it has finished, whatever the outcome. */
  run(form: string, fields: Record<string, string>, timeoutSeconds?: number): Promise<TaskReading>;
  /** As run, and the chain must have completed. */
  completed(form: string, fields: Record<string, string>): Promise<TaskReading>;
  /** The form's path answers GET with 405, POST allowed. */
  assertGetRefused(path: string): Promise<void>;
}

/** The environment with a scripted operator's calls on its console. */
export function withFormClient(environment: Processes): FormStack {
  const url = environment.web.url;
  const headers = { Authorization: `Bearer ${OPERATOR_TOKEN}`, Accept: 'application/json' };
  const stack: FormStack = Object.assign(Object.create(environment) as Processes, {
    url,
    async post(form: string, fields: Record<string, string>) {
      const response = await fetch(`${url}/${form}`, {
        method: 'POST',
        headers: { ...headers, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields).toString(),
      });
      const text = await response.text();
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        body = { text };
      }
      return { status: response.status, body };
    },
    async finished(id: string, timeoutSeconds = 60) {
      let refused: string | undefined;
      let last = '';
      await eventually(
        async () => {
          const response = await fetch(`${url}/api/tasks/${id}?wait=5`, { headers });
          if (response.status !== 200) return (refused = `/api/tasks/${id} answered ${response.status}`);
          const task = (await response.json()) as TaskReading;
          last = task.state;
          return task.finished;
        },
        timeoutSeconds * 1000,
        `task ${id} to finish`,
        0,
      ).catch((error: Error) => {
        throw new Error(`${error.message} (still ${last || 'unread'})`);
      });
      if (refused) throw new Error(refused);
      // Read once more after the end: the API reads a job's record and its state side by side, so the reading that
      // first shows a failure may predate the failure's reason (then shown as just "failed").
      return (await (await fetch(`${url}/api/tasks/${id}`, { headers })).json()) as TaskReading;
    },
    async run(form: string, fields: Record<string, string>, timeoutSeconds?: number) {
      const queued = await stack.post(form, fields);
      assert.equal(queued.status, 202, JSON.stringify(queued.body));
      return stack.finished(String(queued.body.id), timeoutSeconds);
    },
    async completed(form: string, fields: Record<string, string>) {
      const task = await stack.run(form, fields);
      assert.equal(task.state, 'completed', JSON.stringify(task.error));
      return task;
    },
    async assertGetRefused(path: string) {
      const response = await fetch(`${url}/${path}`);
      assert.equal(response.status, 405, path);
      assert.match(response.headers.get('allow') ?? '', /POST/, path);
    },
  });
  return stack;
}
