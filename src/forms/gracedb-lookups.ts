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
