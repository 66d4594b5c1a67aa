// GWCelery's superevent rules as pure functions: event segments, completeness, publishability, preferred-event ranking.
import type { DomainConfig } from '../config/domain.js';
import type { EventRecord } from '../gracedb/index.js';

/** Data products an event must have before it is "complete" (GWCelery's REQUIRED_LABELS_BY_GROUP). */
export const REQUIRED_LABELS_BY_GROUP: Record<string, readonly string[]> = {
  cbc: ['PASTRO_READY', 'EMBRIGHT_READY', 'SKYMAP_READY'],
  burst: ['SKYMAP_READY'],
};
/** The superevent manager makes no further changes to the preferred event. */
export const FROZEN_LABEL = 'EM_Selected';
/** A complete preferred event has been assigned. */
export const READY_LABEL = 'EM_READY';
/** The preferred event is publishable: an advocate is requested. */
export const ADVOCATE_REQUEST_LABEL = 'ADVREQ';
export const RAVEN_ALERT_LABEL = 'RAVEN_ALERT';
export const EARLY_WARNING_LABEL = 'EARLY_WARNING';
export const INJECTION_LABEL = 'INJ';

/** The event fields the rules read (an EventRecord, or a hand-made one in tests). */
export type EventFacts = Pick<
  EventRecord,
  'graceid' | 'group' | 'pipeline' | 'search' | 'gpstime' | 'far' | 'instruments' | 'offline' | 'labels' | 'extra_attributes'
>;

export interface Segment {
  t_start: number;
  t_end: number;
}

type Attributes = Record<string, number | string | null | undefined>;

function attributes(event: EventFacts, kind: string): Attributes {
  const value = event.extra_attributes?.[kind];
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Attributes) : {};
}

/** A finite number from the event's extra_attributes (e.g. MultiBurst.duration), else undefined. */
export function numberAttribute(event: EventFacts, kind: string, field: string): number | undefined {
  const value = attributes(event, kind)[field];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** An event's time and time extent: from its own duration for cWB and oLIB, else the per-pipeline windows. */
export function eventSegment(event: EventFacts, config: DomainConfig): { t_0: number; t_start: number; t_end: number } {
  if (event.gpstime === null) throw new Error(`event ${event.graceid} has no gpstime`);
  const pipeline = event.pipeline.toLowerCase();
  let before: number | undefined;
  let after: number | undefined;
  if (pipeline === 'cwb') {
    before = after = numberAttribute(event, 'MultiBurst', 'duration');
  } else if (pipeline === 'olib') {
    const quality = numberAttribute(event, 'LalInferenceBurst', 'quality_mean');
    const frequency = numberAttribute(event, 'LalInferenceBurst', 'frequency_mean');
    if (quality !== undefined && frequency) before = after = quality / frequency;
  }
  before ??= config.superevent.dtStart[pipeline] ?? config.superevent.dtStart.default ?? 1;
  after ??= config.superevent.dtEnd[pipeline] ?? config.superevent.dtEnd.default ?? 1;
  return { t_0: event.gpstime, t_start: event.gpstime - before, t_end: event.gpstime + after };
}

/** Segments overlap by more than a point (ligo.segments' `intersects`). */
export function segmentsIntersect(a: Segment, b: Segment): boolean {
  return a.t_end > b.t_start && a.t_start < b.t_end;
}

export function isComplete(event: Pick<EventFacts, 'group' | 'labels'>): boolean {
  const required = REQUIRED_LABELS_BY_GROUP[event.group.toLowerCase()] ?? [];
  return required.every((label) => event.labels.includes(label));
}

/** FAR × trials factor against the group's threshold (the early-warning ones for EARLY_WARNING events). */
export function passesFarThreshold(event: EventFacts, config: DomainConfig): boolean {
  if (event.far === null) return false;
  const group = event.group.toLowerCase();
  const earlyWarning = event.labels.includes(EARLY_WARNING_LABEL);
  const threshold = earlyWarning ? config.earlyWarningAlertFarThreshold : config.preliminaryAlertFarThreshold[group];
  const trials = earlyWarning ? config.earlyWarningAlertTrialsFactor : (config.preliminaryAlertTrialsFactor[group] ?? 1);
  return threshold !== undefined && event.far * trials <= threshold;
}

/** GWCelery's two publishability criteria: online and not an injection; significant or in RAVEN coincidence. */
export function publishability(event: EventFacts, config: DomainConfig): { online: boolean; significant: boolean } {
  return {
    online: !event.offline && !event.labels.includes(INJECTION_LABEL),
    significant: passesFarThreshold(event, config) || event.labels.includes(RAVEN_ALERT_LABEL),
  };
}

export function shouldPublish(event: EventFacts, config: DomainConfig): boolean {
  const { online, significant } = publishability(event, config);
  return online && significant;
}

/** The event's SNR, where its group and pipeline keep it. */
export function eventSnr(event: EventFacts): number | undefined {
  const pipeline = event.pipeline.toLowerCase();
  if (event.group.toLowerCase() === 'cbc') return numberAttribute(event, 'CoincInspiral', 'snr');
  if (pipeline === 'cwb') return numberAttribute(event, 'MultiBurst', 'snr');
  if (pipeline === 'olib') return numberAttribute(event, 'LalInferenceBurst', 'omicron_snr_network');
  return undefined;
}

/** Detectors that contributed data: the SingleInspiral rows when there are some, else the instruments field. */
export function eventInstruments(event: EventFacts): string[] {
  const singles = event.extra_attributes?.SingleInspiral;
  const fromSingles = Array.isArray(singles)
    ? singles.map((row) => row.ifo).filter((ifo): ifo is string => typeof ifo === 'string' && ifo !== '')
    : [];
  const ifos = fromSingles.length
    ? fromSingles
    : event.instruments
        .split(',')
        .map((ifo) => ifo.trim())
        .filter(Boolean);
  return [...new Set(ifos)].sort();
}

/**
 * GWCelery's keyfunc: completeness, online, significance, group (CBC over Burst), number of detectors (CBC only),
 * then SNR for CBC and −FAR otherwise. A larger key is preferred; keys compare element by element.
 */
export function preferenceKey(event: EventFacts, config: DomainConfig): number[] {
  const group = event.group.toLowerCase();
  const { online, significant } = publishability(event, config);
  const cbc = group === 'cbc';
  const groupRank = cbc ? 1 : group === 'burst' ? 0 : -1;
  const detectors = cbc ? eventInstruments(event).length : -1;
  const strength = cbc ? (eventSnr(event) ?? 0) : -(event.far ?? Number.POSITIVE_INFINITY);
  return [Number(isComplete(event)), Number(online), Number(significant), groupRank, detectors, strength];
}

export function compareKeys(a: number[], b: number[]): number {
  for (let index = 0; index < Math.max(a.length, b.length); index += 1) {
    const difference = (a[index] ?? -Infinity) - (b[index] ?? -Infinity);
    if (difference !== 0 && !Number.isNaN(difference)) return difference;
  }
  return 0;
}

/** Whether `candidate` should replace `current` as preferred event (strictly better: ties keep the current one). */
export function isBetterPreferred(candidate: EventFacts, current: EventFacts, config: DomainConfig): boolean {
  return compareKeys(preferenceKey(candidate, config), preferenceKey(current, config)) > 0;
}

/** The preferred event among a superevent's events; external (group External) events never qualify. */
export function selectPreferredEvent<T extends EventFacts>(events: T[], config: DomainConfig): T | undefined {
  return events
    .filter((event) => event.group !== 'External')
    .reduce<T | undefined>((best, event) => (best === undefined || isBetterPreferred(event, best, config) ? event : best), undefined);
}

/** Whether a label on an event should make the superevent manager look at it again (GWCelery's handle()). */
export function labelTriggersGrouping(event: EventFacts, label: string, config: DomainConfig): boolean {
  if (event.far === null || event.far > config.superevent.farThreshold || event.group === 'External') return false;
  if (label === RAVEN_ALERT_LABEL) return true;
  const required = REQUIRED_LABELS_BY_GROUP[event.group.toLowerCase()] ?? [];
  return required.includes(label) && isComplete(event);
}

/**
 * Every `freq`-th MDC superevent gets a mock external event: its letter suffix read as a bijective base-26 number
 * (a=1 … z=26, aa=27) divisible by `freq`. 0 disables it.
 */
export function isJointMdc(supereventId: string, freq: number): boolean {
  if (!freq) return false;
  const suffix = /[a-z]+$/.exec(supereventId)?.[0] ?? '';
  const value = [...suffix].reduce((total, letter) => total * 26 + (letter.charCodeAt(0) - 96), 0);
  return value > 0 && value % freq === 0;
}
