// GraceDB API handlers for what is kept on an event or superevent: labels, logs and their tags, files, VOEvents, exposure, sign-offs.
import type { Request, RequestHandler } from 'express';
import type { Actor } from '../../actions/pipeline.js';
import { hasRole } from '../../config/web.js';
import { EmbeddedAlertRecords, type VoeventInput } from '../../gracedb/embedded-alert-records.js';
import { GraceDbBadRequestError, GraceDbNotFoundError, isSupereventId, type EmbeddedGraceDb } from '../../gracedb/index.js';
import type { WebContext } from '../context.js';
import { apiWrite, fileFields, type Answer } from './api-write.js';
import { apiRoot, booleanField, handle, rawValue, requiredValue, storeFor, value, values } from './api-support.js';
import { labelBody, logBody } from './serialize.js';
import { eventId, supereventId } from './objects-api.js';

/** The event or superevent a path names (`:graceid` or `:superevent_id`). */
function objectId(req: Request): string {
  return req.params.graceid !== undefined ? eventId(req) : supereventId(req);
}

function objectUrl(req: Request, ctx: WebContext, id: string): string {
  return isSupereventId(id) ? `${apiRoot(req, ctx.config)}superevents/${id}/` : `${apiRoot(req, ctx.config)}events/${id}/`;
}

function labelUrl(req: Request, ctx: WebContext, id: string, name: string): string {
  return isSupereventId(id) ? `${objectUrl(req, ctx, id)}labels/${name}/` : `${objectUrl(req, ctx, id)}labels/${name}`;
}

async function labelsOf(store: EmbeddedGraceDb, id: string): Promise<string[]> {
  return isSupereventId(id) ? (await store.getSuperevent(id)).labels : (await store.getEvent(id)).labels;
}

async function labelAnswer(
  store: EmbeddedGraceDb,
  req: Request,
  ctx: WebContext,
  id: string,
  name: string,
  status: number,
): Promise<Answer> {
  return { status, body: labelBody(labelUrl(req, ctx, id, name), name, await store.getLogs(id)), message: `label ${name} on ${id}` };
}

export function listLabels(ctx: WebContext): RequestHandler {
  return handle(async (req, res) => {
    const id = objectId(req);
    const store = storeFor(ctx, req);
    const [names, logs] = await Promise.all([labelsOf(store, id), store.getLogs(id)]);
    res.json({
      links: { self: `${objectUrl(req, ctx, id)}labels/` },
      labels: names.map((name) => labelBody(labelUrl(req, ctx, id, name), name, logs)),
    });
  });
}

export function getLabel(ctx: WebContext): RequestHandler {
  return handle(async (req, res) => {
    const id = objectId(req);
    const name = String(req.params.label);
    const store = storeFor(ctx, req);
    if (!(await labelsOf(store, id)).includes(name)) throw new GraceDbNotFoundError(`Label ${name} is not applied to ${id}.`);
    res.json((await labelAnswer(store, req, ctx, id, name, 200)).body);
  });
}

/** Events: `PUT labels/NAME`; superevents: `POST labels/` with `name`. */
export function addLabel(ctx: WebContext): RequestHandler {
  return apiWrite<{ id: string; name: string }>(ctx, {
    write: 'label.add',
    forbidden: 'apply labels',
    check(req) {
      const id = objectId(req);
      const name = requiredValue(req, 'name', req.params.label);
      return { value: { id, name }, fields: { object: id, label: name } };
    },
    async act(store, { id, name }, req) {
      await store.createLabel(name, id);
      return labelAnswer(store, req, ctx, id, name, 201);
    },
    replay: async (store, { id, name }, _written, req) => {
      await store.labelApplied(id, name);
      return labelAnswer(store, req, ctx, id, name, 201);
    },
  });
}

export function removeLabel(ctx: WebContext): RequestHandler {
  return apiWrite<{ id: string; name: string }>(ctx, {
    write: 'label.remove',
    forbidden: 'remove labels',
    check(req) {
      const id = objectId(req);
      const name = String(req.params.label);
      return { value: { id, name }, fields: { object: id, label: name } };
    },
    async act(store, { id, name }) {
      await store.removeLabel(name, id);
      return { status: 204, body: null, message: `removed label ${name} from ${id}` };
    },
    replay: async () => ({ status: 204, body: null, message: '' }),
  });
}

export function listLogs(ctx: WebContext): RequestHandler {
  return handle(async (req, res) => {
    const id = objectId(req);
    const logs = await storeFor(ctx, req).getLogs(id);
    res.json({
      start: 0,
      numRows: logs.length,
      links: { self: `${objectUrl(req, ctx, id)}${isSupereventId(id) ? 'logs' : 'log'}/` },
      log: logs.map((log) => logBody(log, isSupereventId(id))),
    });
  });
}

function logNumber(req: Request): number {
  const n = Number(req.params.N);
  if (!Number.isInteger(n) || n < 1) throw new GraceDbNotFoundError(`Log entry ${String(req.params.N)} does not exist.`);
  return n;
}

export function getLog(ctx: WebContext): RequestHandler {
  return handle(async (req, res) => {
    const id = objectId(req);
    const n = logNumber(req);
    const log = (await storeFor(ctx, req).getLogs(id))[n - 1];
    if (!log) throw new GraceDbNotFoundError(`Log entry ${n} does not exist on ${id}.`);
    res.json(logBody(log, isSupereventId(id)));
  });
}

interface NewLog {
  id: string;
  comment: string;
  tags: string[];
  file?: { filename: string; contents: Buffer };
}

function arrayOrValues(req: Request, name: string): string[] {
  const raw = rawValue(req, name);
  if (Array.isArray(raw)) return raw.map(String);
  return values(req, name)
    .flatMap((tag) => tag.split(','))
    .filter(Boolean);
}

export function createLog(ctx: WebContext): RequestHandler {
  return apiWrite<NewLog>(ctx, {
    write: 'log.create',
    forbidden: 'write log entries',
    check(req) {
      const id = objectId(req);
      const comment = value(req, 'comment') ?? '';
      const file = req.multipart?.files.upload;
      if (!comment && !file) throw new GraceDbBadRequestError('comment: This field is required.');
      if (comment.length > 20_000) throw new GraceDbBadRequestError('comment: at most 20000 characters.');
      const tags = [...new Set(arrayOrValues(req, 'tagname'))];
      const log: NewLog = { id, comment, tags, file: file && { filename: file.filename, contents: file.contents } };
      return { value: log, fields: { object: id, comment, tags, ...(file ? { upload: fileFields(file.filename, file.contents) } : {}) } };
    },
    async act(store, log) {
      const written = await store.writeLog(log.id, log.comment, {
        tags: log.tags,
        ...(log.file ? { filename: log.file.filename, filecontents: log.file.contents } : {}),
      });
      return { status: 201, body: logBody(written, isSupereventId(log.id)), message: `log entry ${written.N} on ${log.id}` };
    },
    async replay(store, log, written) {
      const entry = (await store.getLogs(log.id))[Number(written) - 1];
      if (!entry) throw new GraceDbBadRequestError('this Idempotency-Key was used for a request that wrote nothing', 409);
      return { status: 201, body: logBody(entry, isSupereventId(log.id)), message: '' };
    },
  });
}

function tagUrl(req: Request, ctx: WebContext, id: string, n: number, tag: string): string {
  return isSupereventId(id) ? `${objectUrl(req, ctx, id)}logs/${n}/tags/${tag}/` : `${objectUrl(req, ctx, id)}log/${n}/tag/${tag}`;
}

export function listTags(ctx: WebContext): RequestHandler {
  return handle(async (req, res) => {
    const id = objectId(req);
    const n = logNumber(req);
    const tags = await storeFor(ctx, req).getLogTags(id, n);
    res.json({ tags: tags.map((name) => ({ name, self: tagUrl(req, ctx, id, n, name) })) });
  });
}

/** Events: `PUT log/N/tag/NAME`; superevents: `POST logs/N/tags/` with `name`. */
export function addTag(ctx: WebContext): RequestHandler {
  return apiWrite<{ id: string; n: number; tag: string }>(ctx, {
    write: 'log-tag.add',
    forbidden: 'tag log entries',
    check(req) {
      const id = objectId(req);
      const n = logNumber(req);
      const tag = requiredValue(req, 'name', req.params.tag);
      return { value: { id, n, tag }, fields: { object: id, N: n, tag } };
    },
    async act(store, { id, n, tag }, req) {
      await store.tagLog(id, n, tag, true);
      return { status: 201, body: { name: tag, self: tagUrl(req, ctx, id, n, tag) }, message: `tag ${tag} on log entry ${n} of ${id}` };
    },
    replay: async (_store, { id, n, tag }, _written, req) => ({
      status: 201,
      body: { name: tag, self: tagUrl(req, ctx, id, n, tag) },
      message: '',
    }),
  });
}

export function removeTag(ctx: WebContext): RequestHandler {
  return apiWrite<{ id: string; n: number; tag: string }>(ctx, {
    write: 'log-tag.remove',
    forbidden: 'untag log entries',
    check(req) {
      const id = objectId(req);
      const n = logNumber(req);
      const tag = String(req.params.tag);
      return { value: { id, n, tag }, fields: { object: id, N: n, tag } };
    },
    async act(store, { id, n, tag }) {
      await store.tagLog(id, n, tag, false);
      return { status: 204, body: null, message: `removed tag ${tag} from log entry ${n} of ${id}` };
    },
    replay: async () => ({ status: 204, body: null, message: '' }),
  });
}

export function listFiles(ctx: WebContext): RequestHandler {
  return handle(async (req, res) => {
    res.json(await storeFor(ctx, req).listFiles(objectId(req)));
  });
}

/** What a file may be served as from the console's origin: never HTML or anything a browser would run. */
function safeType(name: string): string {
  if (/\.json$/i.test(name)) return 'application/json';
  if (/\.(txt|log|xml|csv|ini|html?|svg|js)$/i.test(name)) return 'text/plain; charset=utf-8';
  if (/\.png$/i.test(name)) return 'image/png';
  return 'application/octet-stream';
}

export function downloadFile(ctx: WebContext): RequestHandler {
  return handle(async (req, res) => {
    const id = objectId(req);
    const filename = String(req.params.filename);
    if (!filename || filename.length > 300 || /[/\\]|\.\./.test(filename) || [...filename].some((char) => char.charCodeAt(0) < 32)) {
      throw new GraceDbBadRequestError(`"${filename.slice(0, 100)}" is not a file name.`);
    }
    const bytes = await storeFor(ctx, req).download(filename, id);
    res.set('Content-Disposition', `inline; filename="${filename.replace(/[^A-Za-z0-9_.,+-]/g, '_')}"`);
    res.type(safeType(filename.replace(/,\d+$/, ''))).send(bytes);
  });
}

export function listVoevents(ctx: WebContext): RequestHandler {
  return handle(async (req, res) => {
    const voevents = await storeFor(ctx, req).getVoevents(objectId(req));
    res.json({ voevents, numRows: voevents.length });
  });
}

const VOEVENT_FIELDS: [string, keyof VoeventInput][] = [
  ['ProbHasNS', 'prob_has_ns'],
  ['ProbHasRemnant', 'prob_has_remnant'],
  ['BNS', 'prob_bns'],
  ['NSBH', 'prob_nsbh'],
  ['BBH', 'prob_bbh'],
  ['Terrestrial', 'prob_terrestrial'],
  ['MassGap', 'prob_mass_gap'],
];

export function createVoevent(ctx: WebContext): RequestHandler {
  return apiWrite<{ id: string; input: VoeventInput }>(ctx, {
    write: 'voevent.create',
    forbidden: 'create VOEvents',
    check(req) {
      const id = objectId(req);
      const type = requiredValue(req, 'voevent_type');
      const input: VoeventInput = {
        voevent_type: type,
        internal: booleanField(req, 'internal'),
        open_alert: booleanField(req, 'open_alert'),
        hardware_inj: booleanField(req, 'hardware_inj'),
        skymap_type: value(req, 'skymap_type') || null,
        skymap_filename: value(req, 'skymap_filename') || null,
        coinc_comment: booleanField(req, 'CoincComment'),
      };
      for (const [field, key] of VOEVENT_FIELDS) {
        const given = value(req, field);
        if (given !== undefined && given !== '') (input as unknown as Record<string, unknown>)[key] = Number(given);
      }
      return { value: { id, input }, fields: { object: id, ...input } };
    },
    async act(store, { id, input }) {
      const voevent = await store.createVoevent(id, input);
      return { status: 201, body: voevent, message: `VOEvent ${voevent.filename}` };
    },
    async replay(store, { id }, written) {
      const voevent = (await store.alertRecords.getVoevents(id))[Number(written) - 1];
      if (!voevent) throw new GraceDbBadRequestError('this Idempotency-Key was used for a request that wrote nothing', 409);
      return { status: 201, body: voevent, message: '' };
    },
  });
}

export function listPermissions(ctx: WebContext): RequestHandler {
  return handle(async (req, res) => {
    res.json({ permissions: await storeFor(ctx, req).alertRecords.getPermissions(supereventId(req)) });
  });
}

export function modifyPermissions(ctx: WebContext): RequestHandler {
  return apiWrite<{ id: string; action: string }>(ctx, {
    write: 'permission.modify',
    forbidden: 'expose or hide superevents',
    check(req) {
      const id = supereventId(req);
      const action = value(req, 'action') ?? '';
      if (action !== 'expose' && action !== 'hide') throw new GraceDbBadRequestError(`action: "${action}" is not one of expose, hide.`);
      return { value: { id, action }, fields: { superevent: id, action } };
    },
    async act(store, { id, action }) {
      return { status: 201, body: { permissions: await store.alertRecords.setExposed(id, action) }, message: `${action} ${id}` };
    },
    replay: async (store, { id }) => ({ status: 201, body: { permissions: await store.alertRecords.getPermissions(id) }, message: '' }),
  });
}

export function listSignoffs(ctx: WebContext): RequestHandler {
  return handle(async (req, res) => {
    const signoffs = await storeFor(ctx, req).alertRecords.getSignoffs(supereventId(req));
    res.json({ signoffs, numRows: signoffs.length });
  });
}

/**
 * Who may sign off: an advocate's sign-off (ADV), any operator; an instrument's (OP with H1, L1 or V1), only an admin —
 * the console's stand-in for GraceDB's control-room groups, which no console user belongs to.
 */
export function signoffRefusal(actor: Actor, type: 'OP' | 'ADV'): string | undefined {
  if (type === 'OP' && !hasRole(actor.role ?? 'viewer', 'admin')) {
    return 'You do not have permission to do operator signoffs: instrument sign-offs are for admins of this console.';
  }
  return undefined;
}

export function createSignoff(ctx: WebContext): RequestHandler {
  return apiWrite<{ id: string; input: { signoff_type: string; instrument: string; status: string; comment: string }; type: 'OP' | 'ADV' }>(
    ctx,
    {
      write: 'signoff.create',
      forbidden: 'sign off superevents',
      check(req) {
        const id = supereventId(req);
        const input = {
          signoff_type: value(req, 'signoff_type') ?? '',
          instrument: value(req, 'instrument') ?? '',
          status: value(req, 'status') ?? '',
          comment: value(req, 'comment') ?? '',
        };
        const { type } = EmbeddedAlertRecords.checkSignoff(input);
        return { value: { id, input, type }, fields: { superevent: id, ...input } };
      },
      refuse: (actor, { type }) => signoffRefusal(actor, type),
      async act(store, { id, input }) {
        const signoff = await store.alertRecords.signoff(id, input);
        return { status: 201, body: signoff, message: `${signoff.signoff_type}${signoff.instrument} ${signoff.status} on ${id}` };
      },
      async replay(store, { id, input }) {
        if (input.signoff_type === 'ADV') await store.labelApplied(id, `ADV${input.status}`);
        const key = `${input.signoff_type}${input.instrument}`;
        const signoff = (await store.alertRecords.getSignoffs(id)).find((s) => `${s.signoff_type}${s.instrument}` === key);
        return { status: 201, body: signoff ?? null, message: '' };
      },
    },
  );
}
