// What an input schema (zod, the project's one validation library for its own inputs) makes of raw input: the value, or one problem per field.
import type { z } from 'zod';

/** What a field the action does not take gets, from every entry point. */
export const NOT_A_FIELD = 'is not a field of this form';
/** `a[]=` / `a[b]=` names: a body parser without nesting hands them over literally. */
const NESTED = 'nested or repeated fields are not accepted';

export type InputCheck<I> = { ok: true; value: I } | { ok: false; problems: Record<string, string> };

/**
 * Parses raw input (a form body, route parameters, command arguments) with the action's schema. Problems are keyed by
 * field, the first one of each kept; a field the schema does not know comes first, as it is usually the reason.
 */
export function checkInput<I>(schema: z.ZodType<I>, raw: Record<string, unknown>): InputCheck<I> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  const problems: Record<string, string> = {};
  const issues = [...parsed.error.issues].sort((a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'));
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        if (/[[\]]/.test(key)) problems[key.replace(/\[.*$/, '').slice(0, 50)] ??= NESTED;
        else problems[key.slice(0, 50)] ??= NOT_A_FIELD;
      }
    } else problems[String(issue.path[0] ?? 'input')] ??= issue.message;
  }
  return { ok: false, problems };
}

/** A problem written as a whole sentence (GWCelery's "No change performed. …") stands alone; a phrase follows its field's name. */
export const isSentence = (problem: string): boolean => /^[A-Z]/.test(problem);

/** Field problems as one line: "superevent_id must look like S240101a; event_id is required". */
export function describeProblems(problems: Record<string, string>): string {
  return Object.entries(problems)
    .map(([field, why]) => (isSentence(why) ? why : `${field} ${why}`))
    .join('; ');
}
