// A circular task's result (initial, update, medium-latency): its text, and how to know one, for the task page and terminals.

/** What a circular task returns: the subject and body, and both as the one text an operator pastes into GCN. */
export interface CircularResult {
  subject: string;
  body: string;
  /** `SUBJECT: …` then the body. */
  text: string;
  /** The superevent's ID (initial and update circulars), or the external trigger's (medium-latency). */
  superevent_id?: string;
  ext_event_id?: string;
}

/** Subject and body as one text, the way the console shows and the log stores a circular. */
export function circularText(circular: { subject: string; body: string }): string {
  return `SUBJECT: ${circular.subject}\n\n${circular.body}\n`;
}

/**
 * The result as a circular when it is one (its text made of its subject and body, and the ID it is about), else
 * undefined. By its whole shape, so that no other task's result that happens to have a `text` is taken for one.
 */
export function circularOf(result: unknown): CircularResult | undefined {
  if (!result || typeof result !== 'object' || Array.isArray(result)) return undefined;
  const r = result as Record<string, unknown>;
  const id = r.superevent_id ?? r.ext_event_id;
  const strings = typeof r.subject === 'string' && typeof r.body === 'string' && typeof r.text === 'string' && typeof id === 'string';
  return strings && r.text === circularText({ subject: r.subject as string, body: r.body as string })
    ? (r as unknown as CircularResult)
    : undefined;
}

/** The name a circular downloads under: `S240101a-circular.txt`. */
export function circularFileName(circular: CircularResult): string {
  const id = (circular.superevent_id ?? circular.ext_event_id ?? 'gcn').replace(/[^A-Za-z0-9_-]/g, '');
  return `${id || 'gcn'}-circular.txt`;
}
