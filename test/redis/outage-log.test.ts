// Redis unreachable is told once, then at a slowing rate (count, time since last reachable), and when it is back: an hour's outage of twenty reconnecting connections fits on a screen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { OutageLog, outageLines, summaryDueS } from '../../src/redis/outage-log.js';

function recorder() {
  const lines: { level: number; msg: string; failedAttempts?: number; downForS?: number }[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { log, lines };
}

const refused = new Error('connect ECONNREFUSED 127.0.0.1:6379');

test('an hour of failures from twenty connections, 40 a second, logs the first line, the summaries due and the return', () => {
  const { log, lines } = recorder();
  let now = 1_000_000;
  const outage = new OutageLog(log, 'redis://127.0.0.1:6379', () => now);
  outage.reachable();
  now += 5000;
  // Twenty connections, each failing every 500 ms (what ioredis' retry strategy does at worst), for an hour.
  for (let ms = 0; ms <= 3_600_000; ms += 25) {
    now = 1_005_000 + ms;
    outage.failed(refused);
  }
  now += 25;
  outage.reachable();
  assert.equal(lines.length, outageLines(3600), lines.map((line) => line.msg).join('\n'));
  assert.ok(lines.length <= 15, `${lines.length} lines for an hour`);
  assert.match(lines[0].msg, /unreachable \(connect ECONNREFUSED 127\.0\.0\.1:6379\); retrying/);
  assert.equal(lines[0].level, 40);
  // Each summary counts the attempts and says how long since Redis was last reachable.
  assert.match(lines[1].msg, /still unreachable: 401 failed attempts in 10 s, last reachable 15 s ago/);
  assert.equal(lines[1].failedAttempts, 401);
  const summaries = lines.slice(1, -1);
  assert.deepEqual(
    summaries.map((line) => line.downForS),
    summaries.map((_, n) => summaryDueS(n)),
    'at 10 s, 30 s, 1, 2, 5, 10, 20 min, then every 10 min',
  );
  assert.match(lines.at(-1)!.msg, /reachable again after 3600 s \(144001 failed attempts\)/);
  assert.equal(lines.at(-1)!.level, 30);
});

test('a worker that never reached Redis says so; a new outage after the return is told again; errors of a closing process are not', () => {
  const { log, lines } = recorder();
  let now = 0;
  const outage = new OutageLog(log, 'redis://h:1', () => now);
  now = 12_000;
  outage.failed(refused);
  now = 22_500;
  outage.failed(refused);
  assert.match(lines[1].msg, /2 failed attempts in 11 s, not reached since the start 23 s ago/);
  outage.reachable();
  outage.reachable();
  assert.equal(lines.length, 3, 'one line for the return');
  outage.failed(new Error('Connection is closed.'));
  assert.equal(lines.length, 4);
  assert.match(lines[3].msg, /unreachable \(Connection is closed\.\)/);
  outage.close();
  outage.failed(refused);
  outage.reachable();
  assert.equal(lines.length, 4, 'nothing once the process stops');
});

test('the schedule slows down and then reports every 10 minutes', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7, 8].map(summaryDueS), [10, 30, 60, 120, 300, 600, 1200, 1800, 2400]);
  assert.equal(outageLines(5), 2, 'a short outage: its first line and its return');
  assert.equal(outageLines(86_400), 2 + 7 + (86_400 - 1200) / 600, 'a day: one line per 10 minutes');
});
