// /metrics of a console run as several processes (`web --processes N`): the primary gathers every process's own metrics and merges them (prom-client's AggregatorRegistry) for whichever process serves the scrape.
import cluster, { type Worker } from 'node:cluster';
import { randomUUID } from 'node:crypto';
import type { Registry } from 'prom-client';

/** Messages between the console processes and the primary. */
const READY = 'gwqueue:metrics-ready';
const REQUEST = 'gwqueue:metrics-request';
const COLLECT = 'gwqueue:metrics-collect';
const COLLECTED = 'gwqueue:metrics-collected';
const REPLY = 'gwqueue:metrics-reply';
/** How long the primary waits for every process; within Prometheus' default scrape timeout (10 s). */
const COLLECT_TIMEOUT_MS = 5000;

interface Message {
  type?: string;
  id?: string;
  text?: string;
  error?: string;
  /** One process's registry, as `getMetricsAsJSON()` gives it. */
  metrics?: object[];
}

/**
 * In the primary: answers a console process's request with the metrics of all of them, merged as prom-client merges a
 * cluster (counters and memory summed, event loop lag averaged, start time left out). Without this every scrape would
 * see one process at random, and Prometheus would take the jumps between them for counter resets. Only processes
 * that said they are ready are asked, so one still starting does not hold up a scrape.
 */
export function serveClusterProcessMetrics(): void {
  const ready = new Set<Worker>();
  const collecting = new Map<string, { waiting: Set<Worker>; registries: object[][]; finish: (error?: Error) => void }>();
  cluster.on('exit', (worker) => {
    ready.delete(worker);
    for (const collection of collecting.values()) if (collection.waiting.delete(worker) && !collection.waiting.size) collection.finish();
  });
  cluster.on('message', (worker, message: Message) => {
    if (message?.type === READY) ready.add(worker);
    if (message?.type === COLLECTED && message.id) {
      const collection = collecting.get(message.id);
      if (!collection || !collection.waiting.delete(worker)) return;
      if (message.error !== undefined) return collection.finish(new Error(message.error));
      collection.registries.push(message.metrics ?? []);
      if (!collection.waiting.size) collection.finish();
    }
    if (message?.type !== REQUEST || !message.id) return;
    const answer = (reply: Message) => {
      if (worker.isConnected()) worker.send({ type: REPLY, id: message.id, ...reply });
    };
    const id = randomUUID();
    const asked = [...ready].filter((each) => each.isConnected());
    const timer = setTimeout(
      () => collecting.get(id)?.finish(new Error(`a console process did not answer within ${COLLECT_TIMEOUT_MS / 1000} s`)),
      COLLECT_TIMEOUT_MS,
    );
    collecting.set(id, {
      waiting: new Set(asked),
      registries: [],
      finish(error) {
        clearTimeout(timer);
        collecting.delete(id);
        if (error) return answer({ error: error.message });
        // Loaded at the first scrape: the primary serves nothing else, so it need not hold prom-client until then.
        import('prom-client')
          .then(({ AggregatorRegistry }) => AggregatorRegistry.aggregate(this.registries).metrics())
          .then(
            (text) => answer({ text }),
            (failed: Error) => answer({ error: failed.message }),
          );
      },
    });
    for (const each of asked) each.send({ type: COLLECT, id });
    if (!asked.length) collecting.get(id)?.finish();
  });
}

/** In a console process: hands its own metrics to the primary when asked; the function asks the primary for the merge. */
export function clusterProcessMetrics(registry: Registry): () => Promise<string> {
  const pending = new Map<string, { resolve: (text: string) => void; reject: (error: Error) => void }>();
  const send = (message: Message) => {
    if (process.send && process.connected) process.send(message);
  };
  process.on('message', (message: Message) => {
    if (message?.type === COLLECT && message.id) {
      registry.getMetricsAsJSON().then(
        (metrics) => send({ type: COLLECTED, id: message.id, metrics }),
        (error: Error) => send({ type: COLLECTED, id: message.id, error: error.message }),
      );
    }
    if (message?.type !== REPLY || !message.id) return;
    const waiting = pending.get(message.id);
    pending.delete(message.id);
    if (message.error !== undefined || message.text === undefined) waiting?.reject(new Error(message.error ?? 'no metrics in the reply'));
    else waiting?.resolve(message.text);
  });
  send({ type: READY });
  return () =>
    new Promise<string>((resolve, reject) => {
      if (!process.send || !process.connected) return reject(new Error('the primary console process is gone'));
      const id = randomUUID();
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`no answer from the primary console process within ${(COLLECT_TIMEOUT_MS + 1000) / 1000} s`));
      }, COLLECT_TIMEOUT_MS + 1000);
      pending.set(id, {
        resolve: (text) => (clearTimeout(timer), resolve(text)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      });
      send({ type: REQUEST, id });
    });
}
