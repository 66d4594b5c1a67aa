// A start-up cut short: a stop request ends a step at once, whatever it waits for; what had started is closed newest first, each within its bound; a step left behind that fails later is no crash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { runStartUp, StartStopped } from '../../src/log/start-up.js';

const log = pino({ level: 'silent' });

test('a stop asked while a step waits ends the start with StartStopped and closes what started, newest first', async () => {
  const controller = new AbortController();
  const closed: string[] = [];
  const forever = new Promise<never>(() => {});
  const start = runStartUp(log, controller.signal, async (s) => {
    s.started('the connection', () => void closed.push('connection'));
    s.started('the server', async () => void closed.push('server'));
    s.started('a hung close', () => forever, 50);
    s.started('the queues', async () => void closed.push('queues'));
    return s.step(forever);
  });
  setImmediate(() => controller.abort('SIGTERM'));
  await assert.rejects(start, (error: Error) => error instanceof StartStopped && error.message === 'stopped (SIGTERM) while starting');
  assert.deepEqual(closed, ['queues', 'server', 'connection'], 'a close that hangs is left after its bound, the others still run');
});

test('a failed step closes what started and its error goes on; a stop asked before a step leaves its work without a crash', async () => {
  const closed: string[] = [];
  await assert.rejects(
    runStartUp(log, undefined, async (s) => {
      s.started('the metrics server', () => void closed.push('metrics'));
      throw new Error('port in use');
    }),
    /port in use/,
  );
  assert.deepEqual(closed, ['metrics']);

  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    const controller = new AbortController();
    let fail!: (error: Error) => void;
    await assert.rejects(
      runStartUp(log, controller.signal, async (s) => {
        const waiting = new Promise<void>((_, reject) => (fail = reject));
        // The signal comes between the work's start and its step.
        controller.abort('SIGINT');
        return s.step(waiting);
      }),
      StartStopped,
    );
    // What it waited for fails once its connection is closed: handled, not a crash.
    fail(new Error('Connection is closed.'));
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});
