// Bench only (`node --import ./bench/standin.mjs`): the preliminary-alert form enqueues a one-step stand-in doing what the peer's `prelim` does.
// Everything else on the form's path is production code: body parsing, identity, validation, audit, enqueue, the
// worker, the result record and /api/tasks/:id. Only the task body is replaced, so both stacks do the same work.
import { z } from 'zod';
import { defineTask } from '../dist/queue/registry.js';
import { findForm } from '../dist/forms/registry.js';

const prelim = defineTask({
  name: 'bench.standin.prelim',
  description: "Benchmark stand-in for the preliminary-alert chain: returns what the peer's prelim returns.",
  params: { superevent_id: z.string(), event_id: z.string() },
  async run({ superevent_id, event_id }) {
    return { superevent_id, event_id, alert_type: 'preliminary', sent: true };
  },
});

findForm('send_preliminary_gcn').build = (values) => prelim.s(values.superevent_id, values.event_id);
