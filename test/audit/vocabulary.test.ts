// docs/actions.md lists exactly the audit action names of the declared actions (actions/registry.ts), each `<noun>.<verb>` and used once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { allActionNames, CONTROL_ACTIONS } from '../../src/actions/registry.js';

test('the table of docs/actions.md names every declared action, and no other', async () => {
  const doc = await readFile(new URL('../../docs/actions.md', import.meta.url), 'utf8');
  // The table's first column: | `name` | …
  const documented = [...doc.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]);
  assert.deepEqual([...documented].sort(), [...allActionNames()].sort());
});

test('every declared action has its own name, spelled <noun>.<verb>', () => {
  const names = CONTROL_ACTIONS.map((action) => action.name);
  assert.equal(new Set(names).size, names.length, names.join(', '));
  for (const name of names) assert.match(name, /^[a-z]+\.[a-z]+$/);
});
