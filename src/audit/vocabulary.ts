// How audit action names are spelled: `<noun>.<verb>` for the declared actions (actions/registry.ts lists them all), `form.<name>` per console form, `gracedb.<write>` per GraceDB API write.
// It lives in audit/ (not actions/) so that forms/, which sits below actions/, can name its entries too.

export type ActionName = `${string}.${string}`;

/** Every console form is audited as `form.<name>` (its POST path without the slash), from the browser, the API or `gwqueue chain`. */
export function formAction(form: string): `form.${string}` {
  return `form.${form}`;
}

/** Every write through the console's GraceDB API is audited as `gracedb.<write>` (e.g. `gracedb.event.create`). */
export function gracedbAction(write: string): `gracedb.${string}` {
  return `gracedb.${write}`;
}
