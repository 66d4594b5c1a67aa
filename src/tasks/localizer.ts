// What a localization method is (GWCelery: BAYESTAR): the small interface the disabled-detectors task plugs one in through.
import type { EventRecord, LogRecord } from '../gracedb/index.js';

/** What a localizer is given: the event, its log (for its files), and which of its detectors to use. */
export interface LocalizationInput {
  event: EventRecord;
  logs: LogRecord[];
  /** The event's detectors that stay, in the event's order. */
  detectors: string[];
  /** The ones left out, sorted. */
  disabled: string[];
  /** Downloads one of the event's files (`name` or `name,version`). */
  download(filename: string): Promise<Buffer>;
}

/** A localization method: BAYESTAR in GWCelery; here a stand-in until a real one is plugged in. */
export interface Localizer {
  /** Written into the log message and the task result, e.g. "stand-in for BAYESTAR". */
  name: string;
  /** True for anything that is not a real localization: the log, the task result and the page say so. */
  standIn: boolean;
  /** A multi-order FITS sky map (a UNIQ/PROBDENSITY binary table). */
  localize(input: LocalizationInput): Promise<Buffer>;
}
