// Observability settings: defaults per profile, and one clear error per bad value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { loadConfig, ConfigError } from '../../src/config/index.js';

const base = { GWQUEUE_ENV: 'development', GWQUEUE_VAR_DIR: '/srv/gwqueue/var' };

test('defaults: log files under the var dir, 10 MiB × 10, terminal in development only, sampling every 10 s for 8 days, no Sentry', () => {
  const dev = loadConfig(base).observability;
  assert.deepEqual(dev.log, {
    dir: path.resolve('/srv/gwqueue/var/log'),
    file: true,
    console: true,
    maxBytes: 10 * 1024 * 1024,
    maxFiles: 10,
  });
  assert.deepEqual(dev.host, { sampleIntervalMs: 10_000, retentionSeconds: 8 * 86_400 });
  assert.equal(dev.sentryDsn, undefined);
  assert.deepEqual(dev.workerMetrics, { port: undefined, host: '127.0.0.1' });
  const production = loadConfig({ ...base, GWQUEUE_ENV: 'production', GWQUEUE_SECRET_KEY: 'x'.repeat(16) }).observability;
  assert.equal(production.log.console, false);
  assert.equal(production.log.file, true);
  assert.equal(loadConfig({ ...base, GWQUEUE_ENV: 'test' }).observability.log.file, false);
});

test('explicit settings are read, sizes with units', () => {
  const o = loadConfig({
    ...base,
    SENTRY_DSN: 'https://abc123@o1.ingest.sentry.io/4242',
    GWQUEUE_LOG_DIR: '/var/log/gwqueue',
    GWQUEUE_LOG_MAX_SIZE: '512K',
    GWQUEUE_LOG_MAX_FILES: '3',
    GWQUEUE_LOG_CONSOLE: 'false',
    GWQUEUE_HOST_SAMPLE_INTERVAL_MS: '0',
    GWQUEUE_WORKER_METRICS_PORT: '9464',
    GWQUEUE_WORKER_METRICS_HOST: '0.0.0.0',
  }).observability;
  assert.equal(o.sentryDsn, 'https://abc123@o1.ingest.sentry.io/4242');
  assert.deepEqual(o.log, { dir: '/var/log/gwqueue', file: true, console: false, maxBytes: 512 * 1024, maxFiles: 3 });
  assert.equal(o.host.sampleIntervalMs, 0);
  assert.deepEqual(o.workerMetrics, { port: 9464, host: '0.0.0.0' });
  assert.equal(loadConfig({ ...base, GWQUEUE_LOG_MAX_SIZE: '2G' }).observability.log.maxBytes, 2 * 1024 ** 3);
});

test('bad values name the setting', () => {
  const bad: [Record<string, string>, string][] = [
    [{ SENTRY_DSN: 'not a url' }, 'SENTRY_DSN'],
    [{ SENTRY_DSN: 'https://sentry.io/42' }, 'SENTRY_DSN'],
    [{ GWQUEUE_LOG_MAX_SIZE: 'ten megs' }, 'GWQUEUE_LOG_MAX_SIZE'],
    [{ GWQUEUE_LOG_MAX_SIZE: '12' }, 'GWQUEUE_LOG_MAX_SIZE'],
    [{ GWQUEUE_LOG_MAX_FILES: '0' }, 'GWQUEUE_LOG_MAX_FILES'],
    [{ GWQUEUE_LOG_FILE: 'maybe' }, 'GWQUEUE_LOG_FILE'],
    [{ GWQUEUE_HOST_SAMPLE_INTERVAL_MS: '50' }, 'GWQUEUE_HOST_SAMPLE_INTERVAL_MS'],
    [{ GWQUEUE_HOST_SAMPLE_RETENTION: '60' }, 'GWQUEUE_HOST_SAMPLE_RETENTION'],
    [{ GWQUEUE_WORKER_METRICS_PORT: '70000' }, 'GWQUEUE_WORKER_METRICS_PORT'],
  ];
  for (const [env, setting] of bad) {
    assert.throws(
      () => loadConfig({ ...base, ...env }),
      (error: unknown) => error instanceof ConfigError && error.setting === setting,
      JSON.stringify(env),
    );
  }
});
