// The one redaction every output of a task's text uses (log/redact.ts redactorFor): what it cuts out, and that it keeps a shown value whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/index.js';
import { CENSOR, redactorFor, textScrubber } from '../../src/log/redact.js';

const TOKEN = 'tok-redactor-0123456789abcdef';
const GRACEDB_TOKEN = 'gdb-redactor-fedcba9876543210';
const config = loadConfig({
  GWQUEUE_ENV: 'test',
  GWQUEUE_API_TOKENS: `robot=${TOKEN}`,
  GRACEDB_TOKEN,
  REDIS_URL: 'redis://:redis-pass-0123@127.0.0.1:6379',
});

test('text: the configuration’s secrets, and credentials written inline', () => {
  const { text } = redactorFor(config);
  assert.equal(text(`refused ${TOKEN} and ${GRACEDB_TOKEN}`), `refused ${CENSOR} and ${CENSOR}`);
  assert.equal(text('Authorization: Bearer abcdef123456'), `Authorization: Bearer ${CENSOR}`);
  assert.equal(text('cannot reach redis://:redis-pass-0123@10.0.0.1:6379'), `cannot reach redis://:${CENSOR}@10.0.0.1:6379`);
  assert.equal(text('nothing secret here'), 'nothing secret here');
});

test('value: secret-named keys censored, strings scrubbed, and everything else kept whole (unlike a log line)', () => {
  const { value } = redactorFor(config);
  const long = Array.from({ length: 500 }, (_, i) => i);
  let deep: unknown = 'bottom';
  for (let i = 0; i < 20; i++) deep = { level: deep };
  const shown = value({ args: [`x ${TOKEN}`, long], kwargs: { password: 'hunter22', token: 'abc', note: 'fine' }, deep });
  assert.deepEqual(shown.args[0], `x ${CENSOR}`);
  assert.equal((shown.args[1] as number[]).length, 500, 'a shown result keeps all of its items');
  assert.deepEqual(shown.kwargs, { password: CENSOR, token: CENSOR, note: 'fine' });
  assert.deepEqual(shown.deep, deep, 'deep values are kept');
  assert.equal(redactorFor(config), redactorFor(config), 'built once per configuration');
});

test('the scrubber lets through only what nothing could match: a secret as short as allowed, or written whole, is censored', () => {
  const scrub = textScrubber(['s3cr3t', 'a-longer-secret-value']);
  assert.equal(scrub('s3cr3t'), CENSOR, 'a six-character secret alone');
  assert.equal(scrub('id=S3CR3T'), 'id=S3CR3T', 'a known secret is matched as written (another case is another text)');
  assert.equal(scrub('x a-longer-secret-value y'), `x ${CENSOR} y`);
  assert.equal(scrub('BEARER abcdefgh12'), `BEARER ${CENSOR}`, 'patterns keep their case rules');
  assert.equal(scrub('a://:b@'), `a://:${CENSOR}@`, 'the shortest pattern match (7 characters)');
  assert.equal(scrub('token=x'), `token=${CENSOR}`);
  const plain = 'S240101abc completed 2026-12-06T15:00:00.000Z';
  assert.equal(scrub(plain), plain);
  assert.equal(textScrubber(['abc'])('abc'), CENSOR, 'a shorter secret given to the scrubber is still censored');
});
