// A session keeps only its last 10 flash messages: a client that posts and never reads a page cannot grow it without bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Request } from 'express';
import { flash } from '../../src/web/middleware/session.js';

test('flash keeps the 10 most recent messages of a session, oldest dropped first', () => {
  const req = { session: {}, identity: { user: 'albert.einstein' } } as unknown as Request;
  for (let i = 1; i <= 25; i++) flash(req, 'success', `message ${i}`);
  const messages = (req.session.flash ?? []).map((entry) => entry.message);
  assert.deepEqual(
    messages,
    Array.from({ length: 10 }, (_, i) => `message ${i + 16}`),
  );
  assert.equal(req.session.owner, 'albert.einstein');
});
