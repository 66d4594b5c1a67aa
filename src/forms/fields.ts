// The kinds of form field, each a zod schema with GWCelery's words: every entry point checks a form's input with these, inside the action pipeline.
import { z } from 'zod';
import { EVENT_ID, EXTERNAL_EVENT_ID, FILENAME, ID_EXAMPLES, SUPEREVENT_ID, VERSIONED_FILENAME } from '../gracedb/id-patterns.js';

/** One field of an operator form: how the console shows it, and what it accepts. */
export interface FormField {
  name: string;
  label: string;
  placeholder: string;
  help?: string;
  /** Typeahead endpoint fed with the form's superevent_id and this field's text. */
  typeahead?: string;
  /** A checkbox (circular update types) rather than text. */
  checkbox?: boolean;
  /** A choice among these (a select in the console; `placeholder` is the one taken when none is given). */
  choices?: readonly string[];
  /** The raw value as it came in (from a body or `name=value`) to the value it stands for: trimmed text, `on` for a ticked checkbox, undefined for an unticked one. */
  schema: z.ZodType<string | undefined, unknown>;
}

/** How a field is given on a command line (`gwqueue chain`) and shown in the docs: `name=example`, or `[name]` for a checkbox. */
export function fieldUsage(field: FormField): string {
  return field.checkbox ? `[${field.name}]` : `${field.name}=${field.placeholder}`;
}

/** A rule over several fields (at least one update type); its message goes under `field`. */
export interface FormRule {
  field: string;
  problem(raw: Record<string, unknown>): string | undefined;
}

type Display = Pick<FormField, 'label' | 'typeahead' | 'help'>;

/** Exactly one string, trimmed: absent is "is required", anything else (a list, a number) is not text. */
export const text = () =>
  z
    .string({ error: (issue) => (issue.input === undefined || issue.input === null ? 'is required' : 'must be given once, as text') })
    .trim();

/** A required text field: exactly one string, trimmed, within `maxLength` characters, matching `pattern`. */
function textField(name: string, pattern: RegExp, example: string, display: Display, mismatch: string, maxLength = 64): FormField {
  return {
    name,
    placeholder: example,
    ...display,
    schema: text()
      .min(1, 'is required')
      .refine((value) => [...value].length <= maxLength, `must be at most ${maxLength} characters`)
      .regex(pattern, mismatch),
  };
}

/** A GraceDB ID field (superevent, event, external event): "must look like <example>" when it does not. */
export function idField(name: string, pattern: RegExp, example: string, display: Display): FormField {
  return textField(name, pattern, example, display, `must look like ${example}`);
}

/** A `name,version` file field, such as `bayestar.multiorder.fits,0`. */
export function versionedFileField(name: string, example: string, display: Display): FormField {
  return textField(name, VERSIONED_FILENAME, example, display, `must be name,version such as ${example}`, 120);
}

/**
 * A file of the form's superevent, `name,version` or `name` alone (its latest version there, as GraceDB serves a file
 * named without one). The placeholder shows the version as optional: `bayestar.multiorder.fits[,0]`.
 */
export function fileField(name: string, filename: string, display: Display): FormField {
  const mismatch = `must be name or name,version such as ${filename} or ${filename},0`;
  return textField(name, FILENAME, `${filename}[,0]`, display, mismatch, 120);
}

/** A field with `base`'s rule, then `extra` on a value `base` accepted (a form that takes only some of those values). */
export function narrowed(base: FormField, extra: (text: string) => string | undefined): FormField {
  return {
    ...base,
    schema: base.schema.superRefine((value, ctx) => {
      const problem = value === undefined ? undefined : extra(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  };
}

const TICKED = ['on', 'true', '1', 'yes'] as const;

/** A checkbox: absent, or the single value on/true/1/yes. */
export function checkboxField(name: string, label: string): FormField {
  return {
    name,
    label,
    placeholder: '',
    checkbox: true,
    schema: z
      .enum(TICKED, { error: (issue) => (typeof issue.input === 'string' ? 'must be on or absent' : 'must be given once') })
      .optional()
      .transform((value) => (value === undefined ? undefined : 'on')),
  };
}

/** At least one of these checkboxes ticked; the message (by their labels) goes under the first. */
export function atLeastOne(fields: FormField[]): FormRule {
  const labels = fields.map((field) => field.label.toLowerCase());
  const message = `Choose at least one of ${labels.slice(0, -1).join(', ')} or ${labels[labels.length - 1]}.`;
  return {
    field: fields[0].name,
    problem: (raw) => (fields.some((field) => raw[field.name] !== undefined) ? undefined : message),
  };
}

/** The fields several forms share. */
export const supereventField = idField('superevent_id', SUPEREVENT_ID, ID_EXAMPLES.superevent, {
  label: 'Superevent ID',
  typeahead: '/typeahead_superevent_id',
});
export const eventField = idField('event_id', EVENT_ID, ID_EXAMPLES.event, { label: 'Event ID', typeahead: '/typeahead_event_id' });
export const externalEventField = idField('ext_id', EXTERNAL_EVENT_ID, ID_EXAMPLES.external, {
  label: 'External event ID',
  help: 'an external trigger (GRB, neutrino…): always E followed by digits, mock ones too',
});

/**
 * A field taking one of `choices` (matched case-insensitively, given in their own spelling). With a `fallback` it is
 * optional: absent or empty, it has no value and the form's chain uses the fallback, which the field shows as its
 * placeholder. Without one it is required (the first choice is what the console's select shows first).
 */
export function choiceField(name: string, choices: readonly string[], fallback: string | undefined, display: Display): FormField {
  const find = (text: string) => choices.find((choice) => choice.toLowerCase() === text.toLowerCase());
  return {
    name,
    placeholder: fallback ?? choices[0],
    ...display,
    choices,
    schema: z
      .string({ error: (issue) => (issue.input === undefined && !fallback ? 'is required' : 'must be given once, as text') })
      .trim()
      .optional()
      .superRefine((value, ctx) => {
        if (value && !find(value)) ctx.addIssue({ code: 'custom', message: `must be one of ${choices.join(', ')}` });
        else if (!value && !fallback) ctx.addIssue({ code: 'custom', message: 'is required' });
      })
      .transform((value) => (value ? find(value) : undefined)),
  };
}
