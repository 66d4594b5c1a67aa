// Bench only (`node --import ./bench/standin.mjs`): the preliminary-alert form enqueues a one-step stand-in doing what the peer's `prelim` does.
// Everything else on the form's path is production code: body parsing, identity, validation, audit, enqueue, the
// worker, the result record and /api/tasks/:id. Only the task body is replaced, so both stacks do the same work.
// The primary of `web --processes N` serves nothing and loads no form or task: the stand-in stays out of it too, or
// the bench would show the primary with memory it does not have in production.
import cluster from 'node:cluster';

const primaryOfCluster =
  cluster.isPrimary &&
  process.argv.includes('web') &&
  /^(?:[2-9]|\d\d+)$/.test(process.argv[process.argv.indexOf('--processes') + 1] ?? '');

if (!primaryOfCluster) {
  const [{ z }, { defineTask }, { findForm }] = await Promise.all([
    import('zod'),
    import('../dist/queue/registry.js'),
    import('../dist/forms/registry.js'),
  ]);
  const prelim = defineTask({
    name: 'bench.standin.prelim',
    description: "Benchmark stand-in for the preliminary-alert chain: returns what the peer's prelim returns.",
    params: { superevent_id: z.string(), event_id: z.string() },
    async run({ superevent_id, event_id }) {
      return { superevent_id, event_id, alert_type: 'preliminary', sent: true };
    },
  });
  findForm('send_preliminary_gcn').build = (values) => prelim.s(values.superevent_id, values.event_id);
}
