// `gwqueue call` loads one task module by the task's name: every registered task must be reachable that way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TASK_MODULES, loadTaskFor } from '../../src/tasks/load.js';
import { allTasks, hasTask } from '../../src/queue/registry.js';

test('every gwqueue.tasks.<module>.<name> task lives in the module its name points to', async () => {
  await loadTaskFor('gwqueue.tasks.core.ping');
  assert.ok(hasTask('gwqueue.tasks.core.ping'));
  assert.ok(!hasTask('gwqueue.tasks.orchestrator.preliminary_alert'), 'only the named module was loaded');
  await loadTaskFor('no.such.task');
  const names = allTasks()
    .map((task) => task.name)
    .filter((name) => name.startsWith('gwqueue.tasks.'));
  assert.ok(names.length > 20, `the whole registry was loaded for an unknown name (${names.length})`);
  for (const name of names) assert.ok(Object.hasOwn(TASK_MODULES, name.split('.')[2]), `${name}: add its module to TASK_MODULES`);
});
