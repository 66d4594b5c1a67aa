// What domain tasks run against, built once per process on first use: config, GraceDB, Redis, the alert outbox.
import type { Redis } from 'ioredis';
import { getConfig, gracedbApiUrl, type Config } from '../config/index.js';
import { createGraceDb, isSupereventId, type EventRecord, type GraceDb } from '../gracedb/index.js';
import { AlertOutbox } from '../alerts/outbox.js';
import type { Canvas } from '../queue/canvas.js';
import { TaskClient } from '../queue/client.js';
import { createRedisConnection, waitUntilReady } from '../redis/connection.js';
import { currentClient, setCurrentClient, type Submitter } from '../queue/current-client.js';
import { bullPrefix } from '../redis/keys.js';
import { oncePerTask } from './gracedb-once.js';
import { isRedisTrouble } from '../queue/errors.js';
import { createHash } from 'node:crypto';

/** How long a follow-up's enqueue (an event's grouping, a label's alert) waits for Redis to come back before it gives up. */
const FOLLOW_UP_ENQUEUE_WAIT_MS = 60_000;

/** A UUID-shaped job ID standing for one piece of follow-up work: enqueueing it twice adds one job. */
function stableTaskId(config: Config, what: string): string {
  const hex = createHash('sha256').update(`${config.prefix}:${what}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Name of the grouping task, enqueued by name so that this module does not import the task modules. */
export const GROUPING_TASK = 'gwqueue.tasks.superevents.process';
/** The orchestrator's task for a superevent's label (GWCelery's handle_superevent on label_added), enqueued by name. */
export const SUPEREVENT_LABEL_TASK = 'gwqueue.tasks.orchestrator.handle_label';

/**
 * What a label applied to a superevent sets off, as GWCelery's orchestrator: the freeze (EM_Selected) of an early-warning
 * superevent sends its EARLYWARNING alert, the advocate's ADVOK the INITIAL alert and ADVNO the RETRACTION. The job ID
 * stands for the superevent and the label, so applying the label again (or a retried write) adds no second job.
 */
export async function labelFollowUp(
  config: Config,
  gracedb: Pick<GraceDb, 'getSuperevent'>,
  objectId: string,
  label: string,
): Promise<{ canvas: Canvas; id: string } | undefined> {
  if (!isSupereventId(objectId)) return undefined;
  if (label === 'EM_Selected') {
    // Only an early warning's freeze sends an alert by itself; the others wait for the operator's preliminary form.
    if (!(await gracedb.getSuperevent(objectId)).labels.includes('EARLY_WARNING')) return undefined;
  } else if (label !== 'ADVOK' && label !== 'ADVNO') return undefined;
  const canvas: Canvas = {
    kind: 'signature',
    task: SUPEREVENT_LABEL_TASK,
    args: [objectId, label],
    kwargs: {},
    options: {},
    immutable: true,
  };
  return { canvas, id: stableTaskId(config, `label:${objectId}:${label}`) };
}

/**
 * Enqueues follow-up work that must not be lost once the write that asked for it is done (a new event's grouping, a
 * label's alert): Redis trouble is waited out, for up to a minute, under an ID that makes it one job however often
 * this is tried.
 */
export async function enqueueFollowUp(
  enqueue: (canvas: Canvas, id: string) => Promise<unknown>,
  canvas: Canvas,
  id: string,
): Promise<void> {
  const deadline = Date.now() + FOLLOW_UP_ENQUEUE_WAIT_MS;
  for (let delay = 200; ; delay = Math.min(2 * delay, 2000)) {
    try {
      await enqueue(canvas, id);
      return;
    } catch (error) {
      if (!isRedisTrouble(error) || Date.now() + delay > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

export interface Services {
  config: Config;
  gracedb: GraceDb;
  redis: Redis;
  outbox: AlertOutbox;
  /**
   * Enqueues a signature or canvas from inside a task: the process's client, or one connected on first use. `submittedBy`
   * names who asked (default `gwqueue (task)`; a schedule names itself).
   */
  enqueue(canvas: Canvas, id?: string, submittedBy?: string): Promise<string>;
}

interface Built extends Services {
  ownedRedis?: Redis;
  ownedClient?: TaskClient;
}

let built: Built | undefined;
let pendingClient: Promise<TaskClient> | undefined;

/**
 * The connections services() opens must not keep a process alive by themselves: `gwqueue worker` and `gwqueue dev`
 * exit once their own work is done. So their sockets are unref'd, and they stop reconnecting once the command has
 * finished (process.exitCode is set then) — e.g. after `gwqueue dev` stopped its embedded Redis.
 */
function detach(redis: Redis): Redis {
  const unref = () => (redis as unknown as { stream?: { unref?: () => void } }).stream?.unref?.();
  redis.on('connect', unref);
  unref();
  const retry = redis.options.retryStrategy;
  redis.options.retryStrategy = (times) => (process.exitCode !== undefined ? null : retry ? retry(times) : null);
  return redis;
}

function makeEnqueue(state: { config: Config; owned?: TaskClient }) {
  return async (canvas: Canvas, id?: string, submittedBy = 'gwqueue (task)'): Promise<string> => {
    let client: Submitter;
    try {
      client = currentClient();
    } catch {
      // A worker process has no producer client of its own until a task needs to enqueue another one.
      // A connection that reconnects by itself for as long as the worker runs: a fail-fast producer's did not always
      // come back after a long Redis restart, and every later enqueue of the process failed.
      pendingClient ??= (async () => {
        const redis = detach(createRedisConnection(state.config, 'worker'));
        await waitUntilReady(redis, state.config).catch((error: unknown) => {
          redis.disconnect();
          throw error;
        });
        state.owned = new TaskClient(state.config, redis);
        return state.owned;
      })();
      try {
        client = await pendingClient;
      } catch (error) {
        pendingClient = undefined;
        throw error;
      }
    }
    return (await client.apply(canvas, { submittedBy, id })).id;
  };
}

function build(config: Config, parts: { gracedb?: GraceDb; redis?: Redis } = {}): Built {
  const ownedRedis = parts.redis ? undefined : detach(createRedisConnection(config, 'worker'));
  const redis = parts.redis ?? ownedRedis!;
  const state: { config: Config; owned?: TaskClient } = { config };
  const enqueue = makeEnqueue(state);
  // What GraceDB's "new event" IGWN alert is to GWCelery: every new event goes to the superevent manager.
  // The event exists once this runs: failing here would fail the upload, and its retry would upload a second event
  // (GraceDB writes are remembered only when they return). So Redis trouble is waited out, under an ID that makes
  // the grouping task once however often this is tried.
  const onEventCreated = async (event: EventRecord) => {
    const canvas: Canvas = {
      kind: 'signature',
      task: GROUPING_TASK,
      args: [event.graceid, 'new'],
      kwargs: {},
      options: {},
      immutable: true,
    };
    await enqueueFollowUp(enqueue, canvas, stableTaskId(config, `group-new-event:${event.graceid}`));
  };
  // What GraceDB's label_added IGWN alert is to GWCelery's orchestrator (labelFollowUp); the label is applied by then.
  const onLabelAdded = async (objectId: string, label: string) => {
    const followUp = await labelFollowUp(config, gracedb, objectId, label);
    if (followUp) await enqueueFollowUp(enqueue, followUp.canvas, followUp.id);
  };
  const gracedb: GraceDb =
    parts.gracedb ??
    createGraceDb({
      url: config.domain.gracedbUrl,
      token: config.domain.gracedbToken,
      basicAuth: config.domain.gracedbBasicAuth,
      redis,
      prefix: bullPrefix(config),
      onEventCreated,
      onLabelAdded,
      // Links in records and alerts point at the console that serves this store (web/gracedb), not at nowhere.
      embedded: { apiUrl: gracedbApiUrl(config) },
    });
  const services: Built = {
    config,
    // Inside a task every GraceDB write is made once, however often the task is run (gracedb-once.ts).
    gracedb: oncePerTask(gracedb, redis, config),
    redis,
    outbox: new AlertOutbox(redis, config),
    enqueue,
    ownedRedis,
    get ownedClient() {
      return state.owned;
    },
  };
  return services;
}

/** The per-process services, built from getConfig() on first use. */
export function services(): Services {
  built ??= build(getConfig());
  return built;
}

/** Tests: use this config (and optionally a ready GraceDB or Redis connection) instead of the environment's. */
export function setServicesForTest(parts: { config: Config; gracedb?: GraceDb; redis?: Redis }): Services {
  if (built) throw new Error('services are already built: call resetServices() first');
  built = build(parts.config, parts);
  return built;
}

/** Closes what services() opened (its Redis connection, a client it connected) and forgets them. */
export async function resetServices(): Promise<void> {
  const current = built;
  built = undefined;
  pendingClient = undefined;
  if (!current) return;
  const client = current.ownedClient;
  if (client) {
    let isCurrent = false;
    try {
      isCurrent = currentClient() === client;
    } catch {}
    if (isCurrent) setCurrentClient(undefined);
    await client.close();
  }
  current.ownedRedis?.disconnect();
}
