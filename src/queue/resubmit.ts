// Retry with the same arguments: rebuilds a finished task (or linear chain) from its stored steps and enqueues it anew.
import { chain, type Canvas, type JobData, type Signature } from './canvas.js';
import type { TaskClient, SubmitOptions } from './client.js';
import { CanvasError } from './errors.js';
import { UnknownTaskIdError, type AsyncResult } from './async-result.js';

export async function resubmit(client: TaskClient, id: string, options: SubmitOptions = {}): Promise<AsyncResult> {
  const job = await client.findJob(id);
  if (!job) throw new UnknownTaskIdError(id);
  const data = job.data as JobData;
  const steps = data.meta?.steps ?? [{ id: job.id!, task: job.name, queue: job.queueName }];
  const jobs = await Promise.all(steps.map((step) => client.findJobIn(step.queue, step.id)));
  const signatures: Signature[] = jobs.map((stepJob, index) => {
    if (!stepJob)
      throw new CanvasError(`step ${index + 1} of task ${id} was already removed after its retention time; it cannot be retried`);
    const stepData = stepJob.data as JobData;
    if (stepData.meta?.predecessor === 'list')
      throw new CanvasError('a canvas with a group cannot be retried as a whole; retry its steps one by one');
    return {
      kind: 'signature',
      task: stepJob.name,
      args: stepData.args ?? [],
      kwargs: stepData.kwargs ?? {},
      options: { queue: stepJob.queueName },
      immutable: index === 0 || stepData.meta?.predecessor !== 'single',
    };
  });
  const canvas: Canvas = signatures.length === 1 ? signatures[0] : chain(...signatures);
  return client.apply(canvas, options);
}
