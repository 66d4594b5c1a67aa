// The operator chains behind the console's forms and `gwqueue chain`: one table with fields, validation and builders.
import { z } from 'zod';
import { getConfig, type Config } from '../config/index.js';
import { chain, type Canvas } from '../queue/canvas.js';
import { createUpdateCircular } from './circulars.js';
import { awaitSuperevent, uploadEvent } from './first2years.js';
import { uploadExternalEvent } from './first2years-external.js';
import { updateSuperevent, upload } from './gracedb.js';
import { preliminaryAlertTask, updateAlertTask } from './orchestrator.js';
import { applyRavenLabels } from './raven.js';
import { UPDATE_TYPES, type UpdateType } from './circular-text.js';

export interface ChainContext {
  /** Who asked: written into the "User X queued …" log message. */
  user: string;
  /** Settings the chain depends on (the mock joint event's delay); default getConfig(). */
  config?: Config;
}

const SUPEREVENT_ID = z.string().trim().regex(/^[MT]?S\d{6}[a-z]+$/, 'must look like S240101a');
const EVENT_ID = z.string().trim().regex(/^[GMTEH]\d+$/, 'must look like G123456');
const versionedFile = (example: string) => z.string().trim().regex(/^[A-Za-z0-9_.+-]{1,100},\d{1,6}$/, `must be name,version such as ${example}`);
/** A checkbox: on when sent as on/true/1/yes (or true), off when absent or empty. */
const CHECKBOX = z.union([z.boolean(), z.string().trim().toLowerCase()])
  .optional()
  .transform((value, context) => {
    if (value === undefined || value === false || value === '' || value === 'off' || value === 'false' || value === '0' || value === 'no') return false;
    if (value === true || ['on', 'true', '1', 'yes'].includes(value)) return true;
    context.addIssue({ code: 'custom', message: 'must be on or absent' });
    return z.NEVER;
  });

const supereventAndEvent = z.strictObject({ superevent_id: SUPEREVENT_ID, event_id: EVENT_ID });
const updateFields = z.strictObject({
  superevent_id: SUPEREVENT_ID,
  skymap_filename: versionedFile('bayestar.multiorder.fits,0'),
  em_bright_filename: versionedFile('em_bright.json,0'),
  p_astro_filename: versionedFile('p_astro.json,0'),
});
const circularFields = z
  .strictObject({ superevent_id: SUPEREVENT_ID, sky_localization: CHECKBOX, em_bright: CHECKBOX, p_astro: CHECKBOX })
  .refine((fields) => fields.sky_localization || fields.em_bright || fields.p_astro, { message: 'choose at least one of sky_localization, em_bright, p_astro', path: ['sky_localization'] });
const ravenFields = z.strictObject({ superevent_id: SUPEREVENT_ID, ext_id: EVENT_ID, event_id: EVENT_ID });
const noFields = z.strictObject({});

export type PreliminaryFields = z.infer<typeof supereventAndEvent>;
export type UpdateFields = z.infer<typeof updateFields>;
export type CircularFields = z.infer<typeof circularFields>;
export type RavenFields = z.infer<typeof ravenFields>;
export type NoFields = z.infer<typeof noFields>;

function queuedLog(supereventId: string, message: string): Canvas {
  return upload.si(null, null, supereventId, message, ['em_follow']);
}

/** Issue Preliminary GCN Notice: log, set the preferred event, copy its files, send the PRELIMINARY alert. */
export function sendPreliminaryGcn(fields: PreliminaryFields, context: ChainContext): Canvas {
  return chain(
    queuedLog(fields.superevent_id, `User ${context.user} queued a Preliminary alert through the dashboard.`),
    updateSuperevent.signature([fields.superevent_id], { preferred_event: fields.event_id }, {}, true),
    preliminaryAlertTask.si(fields.superevent_id, fields.event_id),
  );
}

/** Issue Update GCN Notice: log, send the UPDATE alert with the chosen files. */
export function sendUpdateGcn(fields: UpdateFields, context: ChainContext): Canvas {
  return chain(
    queuedLog(fields.superevent_id, `User ${context.user} queued an Update alert through the dashboard.`),
    updateAlertTask.si([fields.skymap_filename, fields.em_bright_filename, fields.p_astro_filename], fields.superevent_id),
  );
}

export function circularUpdateTypes(fields: CircularFields): UpdateType[] {
  return UPDATE_TYPES.filter((type) => fields[type]);
}

/** Create Update GCN Circular: log, compose the text (the chain's result). */
export function createUpdateGcnCircular(fields: CircularFields, context: ChainContext): Canvas {
  const types = circularUpdateTypes(fields);
  return chain(
    queuedLog(fields.superevent_id, `User ${context.user} queued an update circular (${types.join(', ')}) through the dashboard.`),
    createUpdateCircular.si(fields.superevent_id, types),
  );
}

/** Change Preferred Event: log, set the preferred event, copy its files to the superevent; no alert. */
export function changePreferedEvent(fields: PreliminaryFields, context: ChainContext): Canvas {
  return chain(
    queuedLog(fields.superevent_id, `User ${context.user} queued a preferred event change to ${fields.event_id}.`),
    updateSuperevent.signature([fields.superevent_id], { preferred_event: fields.event_id }, {}, true),
    preliminaryAlertTask.signature([fields.superevent_id, fields.event_id], { initiate_alert: false }, {}, true),
  );
}

/** Designate External Coincidence: log, RAVEN_ALERT on the superevent, the external event and the GW event. */
export function applyRavenLabelsChain(fields: RavenFields, context: ChainContext): Canvas {
  return chain(
    queuedLog(fields.superevent_id, `User ${context.user} queued RAVEN alert labels for ${fields.ext_id} and ${fields.event_id} through the dashboard.`),
    applyRavenLabels.si(fields.superevent_id, fields.ext_id, fields.event_id),
  );
}

/** Mock event: upload it; once grouped, log who asked on its superevent (there was none to log on before). */
export function sendMockEvent(_fields: NoFields, context: ChainContext): Canvas {
  return chain(uploadEvent.si(), awaitSuperevent.s(`User ${context.user} queued a mock event through the dashboard.`));
}

/** Mock joint event: the mock event, then a mock Fermi GRB added to its superevent a few seconds later. */
export function sendMockJointEvent(_fields: NoFields, context: ChainContext): Canvas {
  const delay = (context.config ?? getConfig()).domain.mockJointDelaySeconds;
  return chain(
    uploadEvent.si(),
    awaitSuperevent.s(`User ${context.user} queued a mock joint event through the dashboard.`),
    uploadExternalEvent.signature([], {}, { countdown: delay }),
  );
}

export interface OperatorChain<F> {
  /** GWCelery's form path without the slash (its spelling kept: change_prefered_event). */
  name: string;
  title: string;
  fields: readonly string[];
  schema: z.ZodType<F>;
  /** The flash message after queueing, as GWCelery words it. */
  flash(fields: F): string;
  build(fields: F, context: ChainContext): Canvas;
}

function entry<F>(definition: OperatorChain<F>): OperatorChain<F> {
  return definition;
}

export const OPERATOR_CHAINS = {
  send_preliminary_gcn: entry({
    name: 'send_preliminary_gcn', title: 'Issue Preliminary GCN Notice', fields: ['superevent_id', 'event_id'], schema: supereventAndEvent,
    flash: (fields) => `Queued preliminary alert for ${fields.superevent_id}.`, build: sendPreliminaryGcn,
  }),
  send_update_gcn: entry({
    name: 'send_update_gcn', title: 'Issue Update GCN Notice', fields: ['superevent_id', 'skymap_filename', 'em_bright_filename', 'p_astro_filename'], schema: updateFields,
    flash: (fields) => `Queued update alert for ${fields.superevent_id}.`, build: sendUpdateGcn,
  }),
  create_update_gcn_circular: entry({
    name: 'create_update_gcn_circular', title: 'Create Update GCN Circular', fields: ['superevent_id', 'sky_localization', 'em_bright', 'p_astro'], schema: circularFields,
    flash: (fields) => `Queued update circular for ${fields.superevent_id}.`, build: createUpdateGcnCircular,
  }),
  change_prefered_event: entry({
    name: 'change_prefered_event', title: 'Change Preferred Event', fields: ['superevent_id', 'event_id'], schema: supereventAndEvent,
    flash: (fields) => `Changed prefered event for ${fields.superevent_id}.`, build: changePreferedEvent,
  }),
  apply_raven_labels: entry({
    name: 'apply_raven_labels', title: 'Designate External Coincidence', fields: ['superevent_id', 'ext_id', 'event_id'], schema: ravenFields,
    flash: (fields) => `Applied RAVEN alert label for ${fields.superevent_id}.`, build: applyRavenLabelsChain,
  }),
  send_mock_event: entry({
    name: 'send_mock_event', title: 'Mock event', fields: [], schema: noFields,
    flash: () => 'Queued a mock event.', build: sendMockEvent,
  }),
  send_mock_joint_event: entry({
    name: 'send_mock_joint_event', title: 'Mock joint event', fields: [], schema: noFields,
    flash: () => 'Queued a mock joint event.', build: sendMockJointEvent,
  }),
};

export type OperatorChainName = keyof typeof OPERATOR_CHAINS;
export const OPERATOR_CHAIN_NAMES = Object.keys(OPERATOR_CHAINS) as OperatorChainName[];

export function isOperatorChainName(name: string): name is OperatorChainName {
  return Object.hasOwn(OPERATOR_CHAINS, name);
}

export type FieldValidation = { ok: true; fields: Record<string, unknown> } | { ok: false; errors: Record<string, string> };

/** Checks raw form fields (strings, or booleans for checkboxes) against a chain's schema; errors keyed by field. */
export function validateOperatorFields(name: OperatorChainName, raw: Record<string, unknown>): FieldValidation {
  const parsed = (OPERATOR_CHAINS[name].schema as z.ZodType<Record<string, unknown>>).safeParse(raw);
  if (parsed.success) return { ok: true, fields: parsed.data };
  const errors: Record<string, string> = {};
  for (const issue of parsed.error.issues) {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [String(issue.path[0] ?? 'form')];
    for (const key of keys) errors[key] ??= issue.code === 'unrecognized_keys' ? 'is not a field of this form' : issue.message;
  }
  return { ok: false, errors };
}

/** Thrown by buildOperatorChain for bad input: `errors` maps each field to what is wrong with it. */
export class OperatorChainInputError extends Error {
  constructor(
    readonly chainName: string,
    readonly errors: Record<string, string>,
  ) {
    super(`${chainName}: ${Object.entries(errors).map(([field, why]) => `${field} ${why}`).join('; ')}`);
    this.name = 'OperatorChainInputError';
  }
}

/** Validates the fields and builds the chain: what the console and `gwqueue chain` call. Nothing is enqueued here. */
export function buildOperatorChain(name: string, raw: Record<string, unknown>, context: ChainContext): { canvas: Canvas; flash: string; fields: Record<string, unknown> } {
  if (!isOperatorChainName(name)) throw new OperatorChainInputError(name, { form: `unknown form; use one of ${OPERATOR_CHAIN_NAMES.join(', ')}` });
  const result = validateOperatorFields(name, raw);
  if (!result.ok) throw new OperatorChainInputError(name, result.errors);
  const definition = OPERATOR_CHAINS[name] as unknown as OperatorChain<Record<string, unknown>>;
  return { canvas: definition.build(result.fields, context), flash: definition.flash(result.fields), fields: result.fields };
}
