// The alerting rules we ship (deploy/prometheus/gwqueue-rules.yml) under Prometheus' own unit tests: with two scraped processes, each alert fires once and resolves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const DIR = 'deploy/prometheus';

/** promtool is Debian's prometheus package (.ci/run installs it): its absence fails the test rather than skipping it. */
function promtool(args: string[]): { status: number | null; output: string } {
  const run = spawnSync('promtool', args, { cwd: DIR, encoding: 'utf8', timeout: 60_000 });
  if (run.error) assert.fail(`promtool not runnable (Debian package prometheus; CI installs it): ${run.error.message}`);
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

test('the rules file is valid Prometheus rules, and the example configuration that loads it is valid', () => {
  const { status, output } = promtool(['check', 'rules', 'gwqueue-rules.yml']);
  assert.equal(status, 0, output);
  assert.match(output, /SUCCESS: 5 rules found/);
  const config = promtool(['check', 'config', 'prometheus.yml']);
  assert.equal(config.status, 0, config.output);
  assert.match(config.output, /SUCCESS: 5 rules found/);
});

test('promtool test rules: every alert fires once with two scraped processes, and resolves', () => {
  const { status, output } = promtool(['test', 'rules', 'gwqueue-rules.test.yml']);
  assert.equal(status, 0, output);
  assert.match(output, /SUCCESS/);
  // Every rule is exercised, each time with two job/instance series of its metric.
  const rules = readFileSync(`${DIR}/gwqueue-rules.yml`, 'utf8');
  const tests = readFileSync(`${DIR}/gwqueue-rules.test.yml`, 'utf8');
  const alerts = [...rules.matchAll(/^\s+- alert: (\w+)$/gm)].map((match) => match[1]);
  assert.equal(alerts.length, 5);
  for (const alert of alerts) {
    assert.match(tests, new RegExp(`alertname: ${alert}\\n\\s+exp_alerts:\\n\\s+- exp_labels`), `${alert} fires in a test`);
    assert.match(tests, new RegExp(`alertname: ${alert}\\n\\s+exp_alerts: \\[\\]`), `${alert} is quiet (before or after) in a test`);
  }
  for (const block of tests.split(/\n {2}- interval:/).slice(1)) {
    const instances = new Set([...block.matchAll(/instance="([^"]+)"/g)].map((match) => match[1]));
    assert.ok(instances.size >= 2, `each test scrapes two processes:\n${block.slice(0, 200)}`);
  }
});
