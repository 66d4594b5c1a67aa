// Actions on workers: forget an offline one (dashboard), and the remote commands they obey (concurrency, shutdown) over the control channel.
import { forgetWorker as forgetHeartbeat, seenWorkers } from '../queue/heartbeats.js';
import { ACTION_NAMES, workerAction, type WorkerCommand } from '../audit/vocabulary.js';
import type { AuditOutcome } from '../audit/audit-log.js';
import { ActionRefusal, type OperatorAction } from './pipeline.js';

/** Removes an offline worker from the lists; it comes back if it starts again. */
export const forgetWorker: OperatorAction<string> = {
  name: ACTION_NAMES.workerForget,
  title: 'Forget worker',
  forbidden: 'forget workers',
  confirm: true,
  async validate(deps, input) {
    const name = String(input.worker ?? '').slice(0, 200);
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
};

interface Command {
  destination: string[];
  args: Record<string, unknown>;
  timeoutMs: number;
}

/** What each command takes besides the workers: its arguments, checked. */
const ARGUMENTS: Record<WorkerCommand, (input: Record<string, unknown>) => Record<string, unknown>> = {
  concurrency(input) {
    const n = Number(input.n);
    if (!Number.isInteger(n) || n < 1 || n > 1000)
      throw new ActionRefusal('invalid', `N must be a whole number from 1 to 1000 (got "${String(input.n).slice(0, 50)}")`);
    return { n };
  },
  shutdown: () => ({}),
};

/** One remote command to the named workers (Celery's broadcast): audited with every reply, or who did not answer. */
function workerCommand(command: WorkerCommand, title: string): OperatorAction<Command> {
  return {
    name: workerAction(command),
    title,
    forbidden: command === 'shutdown' ? 'shut workers down' : 'command workers',
    // Stopping a worker stops the alert pipeline's processing; changing concurrency does not.
    role: command === 'shutdown' ? 'admin' : 'operator',
    confirm: command === 'shutdown',
    async validate(_deps, input) {
      const destination = Array.isArray(input.workers) ? input.workers.map(String).filter(Boolean) : [];
      if (!destination.length) throw new ActionRefusal('invalid', 'name at least one worker');
      const args = ARGUMENTS[command](input);
      const timeoutMs = Number(input.timeoutMs);
      if (!(timeoutMs > 0)) throw new ActionRefusal('invalid', 'the timeout must be a positive number of seconds');
      return {
        value: { destination, args, timeoutMs },
        fields: { workers: destination.join(','), ...args },
        description: `${title}: ${destination.join(', ')}.`,
      };
    },
    async act(deps, { value: { destination, args, timeoutMs } }, actor) {
      const result = await deps.control.send({ action: command, destination, args, timeoutMs, sender: `${actor.user}@${actor.address}` });
      const failed = result.replies.filter((r) => !r.ok);
      const audit: AuditOutcome = result.missing.length || !result.replies.length ? 'unavailable' : failed.length ? 'error' : 'accepted';
      const message =
        [
          ...result.replies.map((r) => `${r.worker}: ${r.ok ? 'ok' : 'error'}: ${r.message}`),
          ...result.missing.map((name) => `no reply from ${name}`),
        ].join('; ') || 'no worker replied';
      return { message, audit, data: { replies: result.replies, missing: result.missing } };
    },
  };
}

export const setConcurrency = workerCommand('concurrency', 'Set worker concurrency');
export const shutdownWorkers = workerCommand('shutdown', 'Shut workers down');
