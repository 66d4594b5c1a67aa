// Host sampling: samples appear in Redis after a few seconds, old ones are trimmed to the retention, and the Host page renders in headless Chromium.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { openPage, SHOTS } from '../helpers/chromium.js';
import { startInProcess, type InProcess, type Engine } from '../helpers/in-process.js';
import { eventually, sleep } from '../helpers/eventually.js';
import type { WebServer } from '../../src/web/server.js';
import { forgetOldSeries, listSeries, readPoints, SeriesWriter } from '../../src/host/host-store.js';
import { HostReader } from '../../src/host/host-samples.js';
import { buildChart } from '../../src/web/host/charts.js';
import { hostKeys } from '../../src/redis/keys.js';

const HOST = os.hostname();

describe('host samples and the Host page', () => {
  let stack: InProcess;
  let engine: Engine;
  let web: WebServer;

  before(async () => {
    stack = await startInProcess({
      listen: true,
      env: { GWQUEUE_HOST_SAMPLE_INTERVAL_MS: '250', GWQUEUE_HOST_SAMPLE_RETENTION: '7200', GWQUEUE_LOCAL_USER: 'true' },
      workers: [{ name: 'host@test' }],
    });
    ({ engine, web } = stack);
  });
  after(async () => {
    await stack?.stop();
  });

  test('a reading gives rates from the second sample on, and plausible values', async () => {
    const reader = new HostReader(['/']);
    const first = reader.host(Date.now() - 1000);
    assert.equal(first.cpuUser, undefined, 'no rate without a previous reading');
    assert.ok(first.memTotal > 0 && first.memUsed > 0 && first.memUsed <= first.memTotal);
    assert.ok(first.diskTotal > 0 && first.diskUsed <= first.diskTotal);
    assert.equal(first.cpus, os.availableParallelism());
    // A time difference, not a race: the CPU tick counters must advance between the two readings for rates to exist.
    // 300 ms is dozens of ticks, and under load the pause (and the ticks) only grow.
    await sleep(300);
    const second = reader.host();
    for (const field of ['cpuUser', 'cpuSystem', 'cpuIowait'] as const)
      assert.ok(second[field]! >= 0 && second[field]! <= 100, `${field} is a percentage`);
    assert.ok(second.netRxBps! >= 0 && second.diskWriteBps! >= 0);
    reader.process(Date.now() - 500);
    const own = reader.process();
    assert.ok(own.rss > 10_000_000 && own.cpu! >= 0);
  });

  test('a chart breaks its line where samples are missing, draws a lone sample as a dot, and sums it up like Munin', () => {
    const points = [0, 10, 20, 30, 100, 200, 210].map((t) => ({ t: t * 1000, v: t === 100 ? 4 * 1024 ** 2 : 2 * 1024 ** 2 }));
    const chart = buildChart({
      id: 'm',
      title: 'Memory',
      subtitle: '',
      unit: 'bytes',
      lines: [{ label: 'used', points }],
      from: 0,
      to: 240_000,
      gapMs: 25_000,
    });
    const [line] = chart.lines;
    assert.equal(line.path.match(/M/g)?.length, 3, 'three runs: 0–30 s, the lone 100 s sample, 200–210 s');
    assert.match(line.path, /M[\d.]+,[\d.]+h0\.1M/, 'the lone sample is a dot');
    assert.deepEqual([line.last, line.min, line.max], ['2.0 MiB', '2.0 MiB', '4.0 MiB']);
    assert.equal(line.avg, '2.3 MiB');
    assert.deepEqual(
      chart.yTicks.map((t) => t.label),
      ['0 B', '2.0 MiB', '4.0 MiB', '6.0 MiB'],
      'round steps, and headroom above the maximum',
    );
    assert.equal(chart.empty, false);
  });

  test('the worker and the console sample this host and themselves into Redis within seconds', async () => {
    const series = await eventually(
      async () => {
        const found = await listSeries(engine.client.redis, engine.config);
        return found.some((s) => s.kind === 'host') && found.some((s) => s.kind === 'process') ? found : undefined;
      },
      5000,
      'the first samples',
    );
    const host = series.find((s) => s.kind === 'host')!;
    assert.equal(host.hostname, HOST);
    const self = series.find((s) => s.kind === 'process')!;
    assert.equal(self.pid, process.pid);
    assert.match(self.role ?? '', /worker host@test/);
    assert.match(self.role ?? '', /web/, 'one process, one series: the worker and the console share it');
    const points = await eventually(
      async () => {
        const read = await readPoints(engine.client.redis, engine.config, [host.id, self.id], 'hour');
        const hostPoints = read.get(host.id)!;
        return hostPoints.length >= 4 && hostPoints.some((p) => p.v.cpuUser !== undefined) ? read : undefined;
      },
      5000,
      'several points with rates',
    );
    const last = points.get(host.id)!.at(-1)!;
    assert.ok(last.v.memTotal! > 0 && last.v.load1! >= 0 && last.v.diskTotal! > 0);
    assert.ok(points.get(self.id)!.some((p) => (p.v.rss ?? 0) > 0));
    // Coarser resolutions get the averages too.
    const day = await readPoints(engine.client.redis, engine.config, [host.id], 'day');
    assert.ok(day.get(host.id)!.length >= 1);
    assert.ok((await engine.client.redis.pttl(hostKeys.points(engine.config, host.id, 'hour'))) > 0, 'points expire by themselves');
  });

  test('points older than the retention are trimmed, and series not written within it are forgotten', async () => {
    const config = engine.config;
    const redis = engine.client.redis;
    const now = Date.now();
    const old = now - 3 * 3600_000;
    const writer = new SeriesWriter(config, { id: 'host:old-host', kind: 'host', hostname: 'old-host' });
    let multi = redis.multi();
    writer.add(multi, { memUsed: 1 }, old);
    await multi.exec();
    assert.ok((await listSeries(redis, config, 0)).some((s) => s.hostname === 'old-host'));
    assert.equal(await forgetOldSeries(redis, config, now), 1);
    assert.ok(!(await listSeries(redis, config, 0)).some((s) => s.hostname === 'old-host'));
    assert.equal(await redis.exists(hostKeys.points(config, 'host:old-host', 'year')), 0);

    // A series still written keeps its recent points only: the hour resolution an hour, coarser ones the retention (2 h here).
    const live = new SeriesWriter(config, { id: 'host:busy-host', kind: 'host', hostname: 'busy-host' });
    multi = redis.multi();
    live.add(multi, { memUsed: 1 }, now - 90 * 60_000);
    await multi.exec();
    multi = redis.multi();
    live.add(multi, { memUsed: 2 }, now);
    await multi.exec();
    const hour = await redis.zrange(hostKeys.points(config, 'host:busy-host', 'hour'), 0, -1);
    assert.equal(hour.length, 1, 'the 90-minute-old raw point was trimmed');
    const week = await redis.zrange(hostKeys.points(config, 'host:busy-host', 'week'), 0, -1);
    assert.equal(week.length, 2, 'the 30-minute resolution keeps both, within the 2-hour retention');
    assert.equal(await redis.exists(hostKeys.points(config, 'host:busy-host', 'year')), 0, 'no resolution coarser than the retention');
  });

  test('the Host page renders its charts in Chromium, switches range and host, and refreshes itself', async () => {
    const browser = await stack.browser();
    const { page, errors } = await openPage(browser, { width: 1400, height: 1000 });
    await page.goto(`${web.url}/flower/host`);
    assert.equal(await page.locator('#host-name').innerText(), HOST);
    for (const id of ['cpu', 'memory', 'load', 'disk', 'diskio', 'network', 'processes', 'proc-cpu', 'proc-memory']) {
      const chart = page.locator(`#chart-${id}`);
      assert.ok(await chart.locator('svg').first().isVisible(), `${id} chart shown`);
    }
    const memoryPath = await page.locator('#chart-memory svg path').first().getAttribute('d');
    assert.match(memoryPath ?? '', /^M[\d.]+,[\d.]+(L[\d.]+,[\d.]+)+/, 'the memory chart has a line');
    assert.match(await page.locator('#chart-memory .host-legend').innerText(), /used\s+[\d.]+ (MiB|GiB)/);
    assert.match(await page.locator('#host-summary').innerText(), /Memory used\s+[\d.]+ \w+ of [\d.]+ \w+/);
    assert.match(await page.locator('#host-processes').innerText(), /web, worker host@test \(pid \d+\)/);
    await page.screenshot({ path: path.join(SHOTS, 'host.png'), fullPage: true });

    // Live: the charts are redrawn in place (every 5 s at the least).
    await page.waitForFunction(() => document.getElementById('host-charts')?.hasAttribute('data-updated'), null, { timeout: 9000 });
    assert.equal(await page.locator('#chart-cpu').count(), 1);

    await page.click('#host-ranges a:has-text("Last day")');
    await page.waitForURL(/range=day/);
    assert.match(await page.locator('#host-caption').innerText(), /one point per 5 min/);
    assert.ok(await page.locator('#chart-cpu svg[role="img"]').isVisible());
    const narrow = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await narrow.goto(`${web.url}/flower/host?range=week`);
    await narrow.screenshot({ path: path.join(SHOTS, 'host-narrow.png'), fullPage: true });
    await narrow.close();
    assert.deepEqual(errors, [], 'no script errors, no CSP violations');
    await page.close();
  });

  test('without JavaScript the page already holds the charts; the JSON API has the samples', async () => {
    const html = await (await fetch(`${web.url}/flower/host?range=hour`)).text();
    assert.match(html, /<svg[^>]*aria-label="CPU over the last hour"/);
    assert.match(html, /<path d="M[\d.]+,[\d.]+L/);
    assert.doesNotMatch(html, /<script>|style="/, 'no inline script or style');
    const api = (await (await fetch(`${web.url}/flower/host/api?range=hour`)).json()) as {
      host: string;
      samples: { host: { t: number; v: Record<string, number> }[] };
    };
    assert.equal(api.host, HOST);
    assert.ok(api.samples.host.length >= 4 && api.samples.host.every((p) => p.t > 0 && p.v.memTotal > 0));
    const unknown = await fetch(`${web.url}/flower/host?host=nowhere&range=bogus`);
    assert.equal(unknown.status, 200, 'an unknown host or range falls back to this host and the last hour');
  });
});
