// The wording of GCN Circular drafts (initial and update), after ligo-followup-advocate's templates.
import { gpsToDate, type SupereventRecord } from '../gracedb/index.js';
import { supereventPage, type SkymapSummary } from './superevent-files.js';

export const UPDATE_TYPES = ['sky_localization', 'em_bright', 'p_astro', 'raven'] as const;
export type UpdateType = (typeof UPDATE_TYPES)[number];

export interface Circular {
  subject: string;
  body: string;
}

/** The external trigger of a RAVEN coincidence, as an update circular describes it. */
export interface RavenSummary {
  graceid: string;
  /** The observatory (Fermi, Swift, SNEWS…) and its search (GRB, SubGRB…). */
  pipeline: string;
  search: string | null;
  /** The GW candidate's t_0 minus the external trigger's time, in seconds. */
  timeDifference: number | null;
  timeCoincFar: number | null;
  spaceCoincFar: number | null;
}

export interface CircularData {
  superevent: SupereventRecord;
  raven?: RavenSummary;
  skymap?: Omit<SkymapSummary, 'bytes'>;
  emBright?: Record<string, number>;
  pAstro?: Record<string, number>;
}

const OBSERVATORIES: Record<string, string> = {
  H1: 'LIGO Hanford Observatory (H1)',
  L1: 'LIGO Livingston Observatory (L1)',
  V1: 'Virgo Observatory (V1)',
  K1: 'KAGRA Observatory (K1)',
  I1: 'LIGO India Observatory (I1)',
};

export const HEADER = 'The LIGO Scientific Collaboration, the Virgo Collaboration, and the KAGRA Collaboration report:';
export const FOOTER =
  'For further information about analysis methodology and the contents of this alert, refer to the LIGO/Virgo/KAGRA Public Alerts User Guide https://emfollow.docs.ligo.org/userguide/.';

export function listing(items: string[], conjunction = 'and'): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')}${items.length > 2 ? ',' : ''} ${conjunction} ${items[items.length - 1]}`;
}

/** Percentages as the circulars write them: >99% and <1% at the ends. */
export function percent(probability: number): string {
  if (probability > 0.99) return '>99%';
  if (probability < 0.01) return '<1%';
  return `${Math.round(probability * 100)}%`;
}

function observatories(superevent: SupereventRecord): string {
  const instruments = (superevent.preferred_event_data?.instruments ?? '')
    .split(',')
    .map((ifo) => ifo.trim())
    .filter(Boolean)
    .sort();
  return listing(instruments.map((ifo) => OBSERVATORIES[ifo] ?? ifo));
}

function candidateKind(superevent: SupereventRecord): string {
  return superevent.preferred_event_data?.group === 'Burst' ? 'unmodeled burst' : 'compact binary merger';
}

/** "1.2e-09 Hz, or about one in 26 years". */
export function farSentence(far: number): string {
  const years = 1 / far / (365.25 * 86_400);
  const rate =
    years >= 1
      ? `about one in ${years >= 100 ? Math.round(years).toLocaleString('en-US') : years.toPrecision(2)} years`
      : `about one in ${(1 / far / 86_400).toPrecision(2)} days`;
  return `${far.toExponential(1)} Hz, or ${rate}`;
}

function classificationParagraph(pAstro: Record<string, number>): string {
  const ranked = Object.entries(pAstro)
    .sort((a, b) => b[1] - a[1])
    .map(([kind, p]) => `${kind} (${percent(p)})`);
  return `The classification of the GW signal, in order of descending probability, is ${listing(ranked, 'or')}.`;
}

function propertiesParagraph(emBright: Record<string, number>): string {
  const parts: string[] = [];
  if (emBright.HasNS !== undefined)
    parts.push(
      `the probability that the lighter compact object is consistent with a neutron star mass (HasNS) is ${percent(emBright.HasNS)}`,
    );
  if (emBright.HasRemnant !== undefined)
    parts.push(
      `the probability that the system ejected enough neutron star material to produce a counterpart signal (HasRemnant) is ${percent(emBright.HasRemnant)}`,
    );
  if (emBright.HasMassGap !== undefined)
    parts.push(
      `the probability that either object has a mass between 3 and 5 solar masses (HasMassGap) is ${percent(emBright.HasMassGap)}`,
    );
  return `Assuming the candidate is astrophysical in origin, ${listing(parts)}.`;
}

function skymapParagraph(skymap: Omit<SkymapSummary, 'bytes'>): string {
  const area = Number.isFinite(skymap.area90)
    ? ` For the ${skymap.filename} sky map, the 90% credible region is ${Math.round(skymap.area90)} deg2.`
    : '';
  const distance =
    skymap.distMean !== undefined && skymap.distStd !== undefined
      ? ` Marginalized over the whole sky, the a posteriori luminosity distance estimate is ${Math.round(skymap.distMean)} +/- ${Math.round(skymap.distStd)} Mpc (a posteriori mean +/- standard deviation).`
      : '';
  return `The preferred sky map at this time is ${skymap.filename}.${area}${distance}`;
}

/** The draft uploaded with a preliminary alert. */
export function initialCircular(data: CircularData): Circular {
  const { superevent } = data;
  const sid = superevent.superevent_id;
  const preferred = superevent.preferred_event_data;
  const time = gpsToDate(superevent.t_0).toISOString().replace('T', ' ').replace('Z', '');
  const paragraphs = [
    HEADER,
    `We identified the ${candidateKind(superevent)} candidate ${sid} during real-time processing of data from ${observatories(superevent)} at ${time} UTC (GPS time: ${superevent.t_0.toFixed(3)}). The candidate was found by the ${preferred?.pipeline ?? 'unknown'} analysis pipeline.`,
    `${sid} is an event of interest because its false alarm rate, as estimated by the online analysis, is ${superevent.far !== null ? farSentence(superevent.far) : 'not known'}. The event's properties can be found at this URL:\n${supereventPage(superevent)}`,
  ];
  if (data.pAstro && Object.keys(data.pAstro).length) paragraphs.push(classificationParagraph(data.pAstro));
  if (data.emBright && Object.keys(data.emBright).length) paragraphs.push(propertiesParagraph(data.emBright));
  if (data.skymap) {
    paragraphs.push(
      `One sky map is available at this time and can be retrieved from the GraceDB event page:\n * ${data.skymap.filename}, an initial localization generated by BAYESTAR [1], distributed via GCN notice.`,
    );
    paragraphs.push(skymapParagraph(data.skymap));
  }
  paragraphs.push(FOOTER, ' [1] Singer & Price 2016, PRD, 93, 024013');
  return {
    subject: `LIGO/Virgo/KAGRA ${sid}: Identification of a GW ${candidateKind(superevent)} candidate`,
    body: paragraphs.join('\n\n'),
  };
}

/** The draft uploaded with a RETRACTION alert: the candidate is withdrawn, nothing more is sent for it. */
export function retractionCircular(superevent: SupereventRecord): Circular {
  const sid = superevent.superevent_id;
  const paragraphs = [
    HEADER,
    `We withdraw the candidate ${sid}, announced in low latency from ${observatories(superevent)}. On review by the on-duty advocate it is no longer regarded as a signal of astrophysical origin, and no further notices will be issued for it. Its record remains at:\n${supereventPage(superevent)}`,
    FOOTER,
  ];
  return { subject: `LIGO/Virgo/KAGRA ${sid}: Retraction`, body: paragraphs.join('\n\n') };
}

const UPDATE_TITLES: Record<UpdateType, string> = {
  sky_localization: 'Sky localization',
  em_bright: 'EM Bright Classification',
  p_astro: 'Source Classification',
  raven: 'External Coincidence',
};

function ravenParagraph(sid: string, raven: RavenSummary): string {
  const trigger = `${raven.pipeline}${raven.search ? ` ${raven.search}` : ''} trigger ${raven.graceid}`;
  const when =
    raven.timeDifference === null
      ? ''
      : ` ${Math.abs(raven.timeDifference).toFixed(2)} s ${raven.timeDifference >= 0 ? 'before' : 'after'} the GW candidate`;
  const fars = [
    raven.timeCoincFar !== null ? `a temporal coincidence false alarm rate of ${raven.timeCoincFar.toExponential(1)} Hz` : undefined,
    raven.spaceCoincFar !== null
      ? `a spatio-temporal coincidence false alarm rate of ${raven.spaceCoincFar.toExponential(1)} Hz`
      : undefined,
  ].filter((text): text is string => text !== undefined);
  const rates = fars.length ? ` The RAVEN search found ${listing(fars)}.` : '';
  return `The ${trigger} was observed${when} and is considered coincident with ${sid}.${rates}`;
}

/** The update circular for the chosen parts; each chosen part must have its data. */
export function updateCircular(data: CircularData, updateTypes: UpdateType[]): Circular {
  const { superevent } = data;
  const sid = superevent.superevent_id;
  const chosen = UPDATE_TYPES.filter((type) => updateTypes.includes(type));
  if (chosen.length === 0) throw new Error(`an update circular needs at least one of ${UPDATE_TYPES.join(', ')}`);
  const paragraphs = [
    HEADER,
    `We have conducted further analysis of the ${observatories(superevent)} data around the time of the ${candidateKind(superevent)} candidate ${sid} (GCN Circular XXXXX).`,
  ];
  for (const type of chosen) {
    if (type === 'sky_localization') {
      if (!data.skymap) throw new Error(`${sid} has no sky map tagged sky_loc and public`);
      paragraphs.push(
        `An updated sky map, ${data.skymap.filename}, distributed via GCN Notice, is available for retrieval from the GraceDB event page:\n * ${supereventPage(superevent)}`,
      );
      paragraphs.push(skymapParagraph(data.skymap));
    } else if (type === 'em_bright') {
      if (!data.emBright) throw new Error(`${sid} has no em_bright file`);
      paragraphs.push(propertiesParagraph(data.emBright));
    } else if (type === 'p_astro') {
      if (!data.pAstro) throw new Error(`${sid} has no p_astro file tagged public`);
      paragraphs.push(classificationParagraph(data.pAstro));
    } else {
      if (!data.raven) throw new Error(`${sid} has no external event to report: apply the RAVEN labels (em_type) first`);
      paragraphs.push(ravenParagraph(sid, data.raven));
    }
  }
  paragraphs.push(FOOTER);
  return {
    subject: `LIGO/Virgo/KAGRA ${sid}: Updated ${listing(chosen.map((type) => UPDATE_TITLES[type]))}`,
    body: paragraphs.join('\n\n'),
  };
}
