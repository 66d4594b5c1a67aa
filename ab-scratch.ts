// scratch: RSS after an API load, with and without an env setting, alternated
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { startStack } from './bench/stack.js';
import { childrenOf, rssMb } from './bench/processes.js';
const STANDIN = path.resolve('bench/standin.mjs');
const variants: Record<string, { env?: Record<string, string>; nodeArgs?: string[] }> = JSON.parse(process.argv[2]);
const rounds = Number(process.argv[3] ?? 3);
for (let r = 0; r < rounds; r++) {
  for (const [label, v] of Object.entries(variants)) {
    const stack = await startStack({ name: 'ab', nodeArgs: ['--import', STANDIN, ...(v.nodeArgs ?? [])], env: v.env });
    const headers = { Authorization: `Bearer ${stack.token}`, Accept: 'application/json' };
    const made = (await (await fetch(`${stack.base}/send_mock_event`, { method: 'POST', headers })).json()) as { id: string };
    let task: any = {};
    for (let i = 0; i < 6 && task.state !== 'completed'; i++) task = await (await fetch(`${stack.base}/api/tasks/${made.id}?wait=30`, { headers })).json();
    const fields = `superevent_id=${task.result.superevent_id}&event_id=${task.result.graceid}`;
    const run = spawnSync('wrk', ['-t2', '-c32', '-d10s', '-s', '/work/shared/bench/peer/wrk_post.lua', `${stack.base}/send_preliminary_gcn`], {
      env: { ...process.env, WRK_BODY: fields, WRK_HEADERS: `Authorization: Bearer ${stack.token}` }, encoding: 'utf8' });
    const rps = /= ([\d.]+) req\/s/.exec(run.stdout)?.[1] + " p99 " + /p99 ([\d.]+)/.exec(run.stdout)?.[1];
    await new Promise((res) => setTimeout(res, 3000));
    const kids = childrenOf(stack.web.pid!);
    console.log(`${label} round ${r + 1}: ${rps} req/s; primary ${rssMb([stack.web.pid!]).toFixed(1)}, console ${kids.map((k) => rssMb([k]).toFixed(1)).join(' ')}, workers ${stack.workers.map((w) => rssMb([w.pid!]).toFixed(1)).join(' ')}; web total ${rssMb([stack.web.pid!, ...kids]).toFixed(1)}, workers total ${rssMb(stack.workers.map((w) => w.pid!)).toFixed(1)}`);
    await stack.stop();
  }
}
