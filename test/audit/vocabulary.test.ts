// docs/actions.md lists exactly the audit action names of src/audit/vocabulary.ts, and every operator action uses one of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { allActionNames } from '../../src/audit/vocabulary.js';
import { cancelTask, retryTask } from '../../src/actions/task-actions.js';
import { cleanQueue, pauseQueue, purgeQueues, resumeQueue } from '../../src/actions/queue-actions.js';
import { forgetWorker, setConcurrency, shutdownWorkers } from '../../src/actions/worker-actions.js';

test('the table of docs/actions.md names every action of the vocabulary, and no other', async () => {
  const doc = await readFile(new URL('../../docs/actions.md', import.meta.url), 'utf8');
  // The table's first column: | `name` | …
  const documented = [...doc.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]);
  assert.deepEqual([...documented].sort(), [...allActionNames()].sort());
});

test('every operator action is named from the vocabulary', () => {
  const names = new Set(allActionNames());
  for (const action of [
    retryTask,
    cancelTask,
    pauseQueue,
    resumeQueue,
    cleanQueue,
    purgeQueues,
    forgetWorker,
    setConcurrency,
    shutdownWorkers,
  ]) {
    assert.ok(names.has(action.name), action.name);
  }
});
