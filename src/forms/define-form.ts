// What an operator form is (OperatorForm), defineForm for the form files: its fields and rules become the one input schema every entry point checks with.
import { z } from 'zod';
import { formAction } from '../audit/vocabulary.js';
import type { Config } from '../config/index.js';
import type { Canvas } from '../queue/canvas.js';
import type { GraceDb } from '../gracedb/index.js';
import type { AlertPreview } from '../tasks/alert-preview.js';
import type { FormField, FormRule } from './fields.js';

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
  /** The fields and rules as one schema: what the action pipeline checks the input with, from every entry point. */
  input: z.ZodType<FormValues>;
  /** Sends or changes something public: the browser asks before doing it. */
  confirm: boolean;
  /** The success message's sentence, GWCelery's own where it has one ("Changed preferred event for S240101a."). */
  flash(values: FormValues): string;
  /** The audit log's name for it, `form.<name>`. */
  auditAction: `form.${string}`;
  /** The chain it enqueues. Not readonly: the benchmark swaps in a stand-in (bench/standin.mjs). */
  build(values: FormValues, context: ChainContext): Canvas;
  /**
   * GraceDB look-ups made before anything is queued (GWCelery's refusals): a problem per field, or undefined when the
   * chain may be queued. Only GraceDB's own error answers become refusals (gracedb-lookups.ts); Redis trouble is thrown.
   */
  check?(values: FormValues, gracedb: GraceDb): Promise<{ [field: string]: string | undefined } | undefined>;
  /** The alert the form would send, built from GraceDB as it is now: its confirmation step shows it. */
  preview?(values: FormValues, gracedb: GraceDb, config: Config): Promise<AlertPreview>;
  /** Older path names that post to this form too (GWCelery's change_prefered_event). */
  aliases?: readonly string[];
}

/**
 * The schema of a form: exactly its fields (another name is refused), each by its own rule, then the form's rules
 * over the raw values (they run even when a field failed, so that every problem is shown at once). Unticked
 * checkboxes leave the value.
 */
function formSchema(fields: readonly FormField[], rules: readonly FormRule[]): z.ZodType<FormValues> {
  const shape = Object.fromEntries(fields.map((field) => [field.name, field.schema]));
  const object = rules.reduce<z.ZodType<Record<string, unknown>>>(
    (schema, rule) =>
      schema.refine((raw) => !rule.problem(raw), {
        path: [rule.field],
        error: (issue) => rule.problem(issue.input as Record<string, unknown>),
        // A refinement skips a value with problems already: the form's rules run anyway.
        when: () => true,
      }),
    z.strictObject(shape),
  );
  return object.transform((values) => Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as FormValues);
}

/** A form file's declaration; the audit name follows from the path name, the input schema from the fields and rules. */
export function defineForm(definition: Omit<OperatorForm, 'auditAction' | 'rules' | 'input'> & { rules?: FormRule[] }): OperatorForm {
  const rules = definition.rules ?? [];
  return { ...definition, rules, input: formSchema(definition.fields, rules), auditAction: formAction(definition.name) };
}

/** The success message, the same in the console's flash and on the terminal of `gwqueue chain`: the form's sentence and the task to follow. */
export function queuedMessage(form: OperatorForm, values: FormValues, taskId: string): string {
  const sentence = form.flash(values);
  return `${sentence}${/[.!]$/.test(sentence) ? '' : '.'} Follow it as task ${taskId}.`;
}
