// The GraceDB look-ups some forms make before queuing, and GWCelery's wording when GraceDB answers them with an error.
import { GraceDbError, type EventRecord, type GraceDb, type SupereventRecord } from '../gracedb/index.js';

/** GWCelery's refusals start "No action performed." (alerts) or "No change performed." (preferred-event changes). */
export type Refusal = 'action' | 'change';

export type Looked<T> = { ok: true; record: T } | { ok: false; problem: string };

/** What an operator reads when GraceDB refused a look-up: its HTTP status, as GWCelery's dashboard says it. */
export function lookupProblem(refusal: Refusal, id: string, error: GraceDbError): string {
  return `No ${refusal} performed. GraceDB query for ${id} returned error code ${error.status ?? 'none (GraceDB did not answer)'}.`;
}

async function lookUp<T>(refusal: Refusal, id: string, read: () => Promise<T>): Promise<Looked<T>> {
  try {
    return { ok: true, record: await read() };
  } catch (error) {
    // Only GraceDB's own answers are refusals; Redis trouble under the embedded GraceDB stays an error (503).
    if (error instanceof GraceDbError) return { ok: false, problem: lookupProblem(refusal, id, error) };
    throw error;
  }
}

export function lookUpEvent(gracedb: GraceDb, refusal: Refusal, graceid: string): Promise<Looked<EventRecord>> {
  return lookUp(refusal, graceid, () => gracedb.getEvent(graceid));
}

export function lookUpSuperevent(gracedb: GraceDb, refusal: Refusal, supereventId: string): Promise<Looked<SupereventRecord>> {
  return lookUp(refusal, supereventId, () => gracedb.getSuperevent(supereventId));
}

/** An object's files as GraceDB lists them (each `name` and each `name,version`). */
export function lookUpFiles(gracedb: GraceDb, refusal: Refusal, objectId: string): Promise<Looked<Record<string, string>>> {
  return lookUp(refusal, objectId, () => gracedb.listFiles(objectId));
}

/** The fields of a form that name a GraceDB event or superevent, in the order GWCelery's form asks about them. */
export type WantedIds = ReadonlyArray<readonly [field: string, kind: 'event' | 'superevent']>;

/**
 * A form's check when all it needs is that GraceDB knows the ids: the first refusal, on its field, or undefined.
 * Forms that read the records call lookUpEvent / lookUpSuperevent themselves.
 */
export async function refuseUnknownIds(
  gracedb: GraceDb,
  refusal: Refusal,
  values: { [field: string]: string },
  wanted: WantedIds,
): Promise<{ [field: string]: string } | undefined> {
  for (const [field, kind] of wanted) {
    const looked =
      kind === 'event' ? await lookUpEvent(gracedb, refusal, values[field]) : await lookUpSuperevent(gracedb, refusal, values[field]);
    if (!looked.ok) return { [field]: looked.problem };
  }
  return undefined;
}
