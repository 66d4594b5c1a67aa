// What every entry point hands the action pipeline (actions/pipeline.ts ActionDeps): the task client, settings, where audit entries and keys go, the task index and the worker control channel.
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import type { TaskClient } from '../queue/client.js';
import type { ActionDeps } from '../actions/pipeline.js';
import { TaskIndex } from '../task-index/task-index.js';
import { sendControl } from './control-client.js';

/** `redis`: the console's own connection, or (a terminal) the task client's. */
export function actionDeps(client: TaskClient, config: Config, redis: Redis = client.redis): ActionDeps {
  return {
    client,
    config,
    redis,
    taskIndex: new TaskIndex(redis, config),
    control: { send: (options) => sendControl(redis, config, options) },
  };
}
