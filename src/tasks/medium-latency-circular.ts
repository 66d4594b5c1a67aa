// The medium-latency GRB circular: what the PyGRB and X-Pipeline searches found around an external GRB trigger.
import { z } from 'zod';
import { gpsToDate, type EventRecord, type GraceDb } from '../gracedb/index.js';
import { EXTERNAL_EVENT_ID } from '../gracedb/id-patterns.js';
import { defineTask } from '../queue/registry.js';
import { FOOTER, HEADER, listing, type Circular } from './circular-text.js';
import { circularText } from './circular-result.js';
import { externalIdentity } from './external-triggers.js';
import {
  DETECTION_FAP,
  GRB_SEARCH_FILES,
  hasGrbSearchResults,
  readGrbSearchResults,
  type GrbSearch,
  type GrbSearchResults,
} from './grb-searches.js';
import { services } from './services.js';

/** Searches that GWCelery writes this circular for: GRB triggers, and MDC ones for the mock GRBs of mock joint events. */
const GRB_SEARCHES = ['GRB', 'MDC'];

const REFERENCES: Record<GrbSearch, string> = {
  pygrb: 'Williamson et al., Phys. Rev. D 90, 122004 (2014)',
  xpipeline: 'Sutton et al., New J. Phys. 12, 053034 (2010); Was et al., Phys. Rev. D 86, 022003 (2012)',
};

export interface GrbTrigger {
  graceid: string;
  /** The observatory (Fermi, Swift, …). */
  pipeline: string;
  gpstime: number | null;
  /** The observatory's own trigger number (TrigID), when known. */
  triggerId?: number;
}

/** A probability as circulars print it: three significant figures, small ones in exponent form. */
function probability(value: number): string {
  return value !== 0 && value < 1e-3 ? value.toExponential(1) : String(Number(value.toPrecision(3)));
}

function searchParagraph(search: GrbSearch, result: NonNullable<GrbSearchResults[GrbSearch]>, citation: number): string {
  const kind =
    search === 'pygrb' ? 'The modelled search for compact binary mergers' : 'The unmodelled search for gravitational-wave transients';
  const name = `${GRB_SEARCH_FILES[search].name} [${citation}]`;
  if (result.detection) {
    return (
      `${kind}, ${name}, found a candidate with a false alarm probability of ${probability(result.fap)}, below its ` +
      `detection threshold of ${DETECTION_FAP[search]}. It is being followed up; its results will be reported in a later circular.`
    );
  }
  const found =
    `${kind}, ${name}, found no significant candidate: the most significant one has a false alarm probability of ` +
    `${probability(result.fap)}.`;
  const mpc = (kind: string) => `${Math.round(result.exclusions[kind])} Mpc`;
  const excluded =
    search === 'pygrb'
      ? `If the GRB came from a compact binary merger, we exclude at 90% confidence a binary neutron star merger closer than ${mpc('nsns')} and a neutron star–black hole merger closer than ${mpc('nsbh')}.`
      : `For a generic gravitational-wave burst (a sine-Gaussian at 150 Hz radiating 10^-2 solar masses of energy), we exclude a source closer than ${mpc('burst')} at 90% confidence.`;
  return `${found} ${excluded}`;
}

/** The circular's words for a trigger and the searches' results (at least one). */
export function mediumLatencyCircular(trigger: GrbTrigger, results: GrbSearchResults): Circular {
  const searches = (['pygrb', 'xpipeline'] as GrbSearch[]).filter((search) => results[search]);
  const triggerName = `${trigger.pipeline} trigger ${trigger.triggerId ?? trigger.graceid}`;
  const time =
    trigger.gpstime === null
      ? ''
      : ` at ${gpsToDate(trigger.gpstime)
          .toISOString()
          .replace('T', ' ')
          .replace(/\.\d+Z$/, '')} UTC`;
  const detected = searches.some((search) => results[search]!.detection);
  const intro =
    `We searched data of the gravitational-wave detectors around the time of the ${triggerName}${time} ` +
    `(GraceDB ${trigger.graceid}) for a gravitational-wave signal associated with it, with ` +
    `${listing(searches.map((search, index) => `${GRB_SEARCH_FILES[search].name} [${index + 1}]`))}.`;
  const paragraphs = [
    HEADER,
    intro,
    ...searches.map((search, index) => searchParagraph(search, results[search]!, index + 1)),
    detected
      ? 'This is a medium-latency result; the candidate is under study.'
      : 'This is a medium-latency result: the searches found no gravitational-wave counterpart to this GRB.',
    FOOTER,
    searches.map((search, index) => `[${index + 1}] ${GRB_SEARCH_FILES[search].name}: ${REFERENCES[search]}`).join('\n'),
  ];
  return {
    subject: `LIGO/Virgo/KAGRA: search for gravitational waves associated with ${triggerName}${detected ? ': candidate found' : ''}`,
    body: paragraphs.join('\n\n'),
  };
}

export interface MediumLatencyCircularResult extends Circular {
  ext_event_id: string;
  /** `SUBJECT: …` then the body: what an operator pastes into the GCN Circulars form. */
  text: string;
}

/**
 * Why no circular can be written for this trigger (no external event, no GRB, no results yet), as one sentence, or
 * undefined: the form asks before queuing, the task again when it runs.
 */
export function mediumLatencyProblem(event: EventRecord, files: Record<string, string>): string | undefined {
  const extId = event.graceid;
  const why =
    event.group !== 'External'
      ? `it is a ${event.group} event, not an external trigger`
      : !GRB_SEARCHES.includes(event.search ?? '')
        ? `it is a ${event.search ?? 'search-less'} ${event.pipeline} trigger; the circular is written for GRB triggers (search GRB, or MDC for mock ones)`
        : !hasGrbSearchResults(files)
          ? `GraceDB holds no PyGRB or X-Pipeline results for it yet (neither ${Object.values(GRB_SEARCH_FILES)
              .map((spec) => spec.fap.file)
              .join(' nor ')} is among its files)`
          : undefined;
  return why && `No medium-latency circular for ${extId}: ${why}.`;
}

/** Reads the trigger and its search results from GraceDB; a clear error when it is no GRB or has no results. */
export async function composeMediumLatencyCircular(gracedb: GraceDb, extId: string): Promise<MediumLatencyCircularResult> {
  const [event, files] = await Promise.all([gracedb.getEvent(extId), gracedb.listFiles(extId)]);
  const problem = mediumLatencyProblem(event, files);
  if (problem) throw new Error(problem);
  const results = await readGrbSearchResults(gracedb, extId, files);
  const { trigId } = await externalIdentity(gracedb, event);
  const circular = mediumLatencyCircular({ graceid: extId, pipeline: event.pipeline, gpstime: event.gpstime, triggerId: trigId }, results);
  return { ext_event_id: extId, ...circular, text: circularText(circular) };
}

export const createMediumLatencyCircular = defineTask({
  name: 'gwqueue.tasks.circulars.create_medium_latency_circular',
  description: 'Returns the text of the medium-latency circular for an external GRB trigger from its PyGRB and X-Pipeline results.',
  params: { ext_event_id: z.string().regex(EXTERNAL_EVENT_ID, 'must be an external event ID such as E1234') },
  async run({ ext_event_id }) {
    return composeMediumLatencyCircular(services().gracedb, ext_event_id);
  },
});
