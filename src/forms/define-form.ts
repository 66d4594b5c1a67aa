// What an operator form is (OperatorForm), defineForm for the form files, and the form-level rules both entry points share.
import { formAction } from '../audit/vocabulary.js';
import type { Config } from '../config/index.js';
import type { Canvas } from '../queue/canvas.js';
import type { GraceDb } from '../gracedb/index.js';
import { NOT_A_FIELD, type FormField, type FormRule } from './fields.js';

/** Valid field values, by field name: trimmed text, `on` for a ticked checkbox (unticked ones are absent). */
export type FormValues = Readonly<Record<string, string>>;

export interface ChainContext {
  /** Who asked: written into the "User X queued …" log message. */
  user: string;
  /** Settings the chain depends on (the mock joint event's delay); default getConfig(). */
  config?: Config;
}

/** Everything about one operator form; one file of src/forms/ declares it. */
export interface OperatorForm {
  /** GWCelery's path name (today's: change_preferred_event): the POST path and `gwqueue chain NAME`. */
  name: string;
  title: string;
  description: string;
  button: string;
  fields: readonly FormField[];
  /** Rules over several fields, checked after each field's own. */
  rules: readonly FormRule[];
  /** Sends or changes something public: the browser asks before doing it. */
  confirm: boolean;
  /** What was queued, for the success message: "Queued <this> for S240101a (task …)". */
  queued: string;
  /** The audit log's name for it, `form.<name>`. */
  auditAction: `form.${string}`;
  /** The chain it enqueues. Not readonly: the benchmark swaps in a stand-in (bench/standin.mjs). */
  build(values: FormValues, context: ChainContext): Canvas;
  /**
   * GraceDB look-ups made before anything is queued (GWCelery's refusals): a problem per field, or undefined when the
   * chain may be queued. Only GraceDB's own error answers become refusals (gracedb-lookups.ts); Redis trouble is thrown.
   */
  check?(values: FormValues, gracedb: GraceDb): Promise<{ [field: string]: string | undefined } | undefined>;
  /** Older path names that post to this form too (GWCelery's change_prefered_event). */
  aliases?: readonly string[];
}

/** A form file's declaration; the audit name follows from the path name, so no form spells it. */
export function defineForm(definition: Omit<OperatorForm, 'auditAction' | 'rules'> & { rules?: FormRule[] }): OperatorForm {
  return { rules: [], ...definition, auditAction: formAction(definition.name) };
}

export type FieldValidation = { ok: true; fields: FormValues } | { ok: false; errors: Record<string, string> };

/**
 * The one check of a form's input (raw strings from a body or from `name=value`): every field's own rule, then the
 * form's rules; the first problem of each field is kept. `ignore`: names an entry point adds (the console's tokens).
 */
export function validateForm(form: OperatorForm, raw: Record<string, unknown>, ignore: ReadonlySet<string> = new Set()): FieldValidation {
  const errors: Record<string, string> = {};
  for (const key of Object.keys(raw)) {
    if (!ignore.has(key) && !form.fields.some((field) => field.name === key)) errors[key] = NOT_A_FIELD;
  }
  for (const field of form.fields) {
    const problem = field.problem(raw[field.name]);
    if (problem) errors[field.name] ??= problem;
  }
  for (const rule of form.rules) {
    const problem = rule.problem(raw);
    if (problem) errors[rule.field] ??= problem;
  }
  return Object.keys(errors).length ? { ok: false, errors } : { ok: true, fields: formValues(form, raw) };
}

/** The values of input that passed validation (the console's express-validator chain, or validateForm). */
export function formValues(form: OperatorForm, raw: Record<string, unknown>): FormValues {
  const values: Record<string, string> = {};
  for (const field of form.fields) {
    const value = field.value(raw[field.name]);
    if (value !== undefined) values[field.name] = value;
  }
  return values;
}

/** Field problems as one line: "superevent_id must look like S240101a; event_id is required". */
export function describeProblems(errors: Record<string, string>): string {
  return Object.entries(errors)
    .map(([field, why]) => `${field} ${why}`)
    .join('; ');
}

/** The success message, the same in the console's flash and on the terminal of `gwqueue chain`. */
export function queuedMessage(form: OperatorForm, values: FormValues, taskId: string): string {
  const target = values.superevent_id ? ` for ${values.superevent_id}` : '';
  return `Queued ${form.queued}${target} (task ${taskId})`;
}
