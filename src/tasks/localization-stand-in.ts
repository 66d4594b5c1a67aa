// The stand-in localizer (no BAYESTAR here): a valid multi-order sky map whose size follows the remaining detectors' SNR.
import { gpsToDate, type EventRecord } from '../gracedb/index.js';
import type { LocalizationInput, Localizer } from './localizer.js';
import { basePixelOf, readSkymap, writeSkymap } from './skymap-fits.js';
import { latestDataProducts } from './superevent-files.js';

/** 90% area (deg²) times network SNR²: what the mock events' sky maps use, so a full network gives the same size. */
const AREA_TIMES_SNR2 = 2e5;
/** One detector cannot triangulate: its map is this much wider than the SNR alone says. */
const SINGLE_DETECTOR_WIDENING = 10;
const MIN_AREA = 20;
/** Ten of the twelve base pixels: the widest map writeSkymap draws. */
const MAX_AREA = 34_000;
/** When the event tells nothing about its loudness. */
const DEFAULT_SNR = 10;
const DEFAULT_DISTANCE_MPC = 400;

/** SNR of the given detectors added in quadrature: their own SNRs, else the network SNR shared evenly among the event's. */
export function remainingSnr(event: Pick<EventRecord, 'instruments' | 'extra_attributes'>, detectors: readonly string[]): number {
  const singles = (event.extra_attributes.SingleInspiral ?? []).filter(
    (row) => typeof row.ifo === 'string' && detectors.includes(row.ifo) && typeof row.snr === 'number',
  );
  if (singles.length) return Math.hypot(...singles.map((row) => row.snr as number));
  const all = event.instruments.split(',').filter(Boolean).length || 1;
  const network = event.extra_attributes.CoincInspiral?.snr;
  return (typeof network === 'number' && network > 0 ? network : DEFAULT_SNR) * Math.sqrt(detectors.length / all);
}

/** The stand-in's 90% credible area in deg² for this SNR and number of detectors. */
export function standInArea90(snr: number, detectorCount: number): number {
  const area = (AREA_TIMES_SNR2 / Math.max(snr, 1) ** 2) * (detectorCount < 2 ? SINGLE_DETECTOR_WIDENING : 1);
  return Math.min(MAX_AREA, Math.max(MIN_AREA, area));
}

/** Where the event's latest sky map peaks and how far away it puts the source, when the event has one this code reads. */
async function currentMap(input: LocalizationInput): Promise<{ basePixel: number; distMean?: number; distStd?: number } | undefined> {
  const latest = latestDataProducts(input.logs).skymap;
  if (!latest) return undefined;
  try {
    const map = readSkymap(await input.download(latest));
    const densest = map.pixels.reduce((best, pixel) => (pixel.probdensity > best.probdensity ? pixel : best));
    const number = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
    return { basePixel: basePixelOf(densest.uniq), distMean: number(map.header.DISTMEAN), distStd: number(map.header.DISTSTD) };
  } catch {
    return undefined;
  }
}

export const standInLocalizer: Localizer = {
  name: 'gwqueue stand-in for BAYESTAR',
  standIn: true,
  async localize(input) {
    const { event, detectors, disabled } = input;
    const snr = remainingSnr(event, detectors);
    const fullSnr = remainingSnr(event, event.instruments.split(',').filter(Boolean));
    const previous = await currentMap(input);
    const distMean = previous?.distMean ?? DEFAULT_DISTANCE_MPC;
    // Less signal, wider distance posterior: the standard deviation grows as the SNR falls.
    const distStd = (previous?.distStd ?? distMean * 0.3) * (fullSnr / snr);
    return writeSkymap({
      objectId: event.graceid,
      dateObs: gpsToDate(event.gpstime ?? 0).toISOString(),
      instruments: detectors,
      area90: standInArea90(snr, detectors.length),
      distMean,
      distStd,
      basePixel: previous?.basePixel ?? Math.floor(event.gpstime ?? 0) % 12,
      creator: { name: 'gwqueue', comment: 'stand-in localization, not BAYESTAR' },
      history: [
        'gwqueue stand-in for BAYESTAR: not a real localization.',
        `Without ${disabled.join(', ')}; from ${detectors.join(', ')} (SNR ${snr.toFixed(1)}).`,
        previous ? "Peak and distance kept from the event's latest sky map." : 'Peak from the event time.',
      ],
    });
  },
};
