// Synthetic CBC sources for mock events and their files (coinc.xml, sky map, em_bright.json, p_astro.json).
import { gpsToDate, type GraceDb } from '../gracedb/index.js';
import { writeSkymap } from './skymap-fits.js';
import { EARLY_WARNING_LABEL } from './superevent-rules.js';

export type SourceClass = 'BNS' | 'NSBH' | 'BBH';

export interface MockSource {
  kind: SourceClass;
  gpstime: number;
  mass1: number;
  mass2: number;
  mchirp: number;
  /** Network SNR; each detector's SNR adds up to it in quadrature. */
  snr: number;
  singleSnrs: number[];
  /** False alarm rate in Hz, falling steeply with SNR. */
  far: number;
  instruments: string[];
  distance: number;
}

type Random = () => number;

const NETWORKS: string[][] = [
  ['H1', 'L1'],
  ['H1', 'L1', 'V1'],
  ['H1', 'L1', 'V1'],
  ['L1', 'V1'],
  ['H1', 'V1'],
];

function between(random: Random, low: number, high: number): number {
  return low + (high - low) * random();
}

export function chirpMass(mass1: number, mass2: number): number {
  return (mass1 * mass2) ** 0.6 / (mass1 + mass2) ** 0.2;
}

/** A plausible source: masses of its class, SNR 10–30 (louder ones rarer), FAR from SNR, distance from both. */
export function drawMockSource(gpstime: number, random: Random = Math.random): MockSource {
  const kind = (['BNS', 'NSBH', 'BBH'] as const)[Math.floor(random() * 3)];
  let mass1: number;
  let mass2: number;
  if (kind === 'BNS') {
    mass1 = between(random, 1.2, 2.0);
    mass2 = between(random, 1.1, mass1);
  } else if (kind === 'NSBH') {
    mass1 = between(random, 5, 20);
    mass2 = between(random, 1.2, 2.0);
  } else {
    mass1 = between(random, 8, 50);
    mass2 = between(random, 5, mass1);
  }
  // SNR ∝ u^(-1/3) gives the p(SNR) ∝ SNR⁻⁴ of sources uniform in volume.
  const snr = Math.min(30, 10 / Math.cbrt(between(random, 0.037, 1)));
  const instruments = NETWORKS[Math.floor(random() * NETWORKS.length)];
  const weights = instruments.map(() => between(random, 0.6, 1.4));
  const norm = Math.sqrt(weights.reduce((sum, weight) => sum + weight * weight, 0));
  const mchirp = chirpMass(mass1, mass2);
  return {
    kind,
    gpstime: Number(gpstime.toFixed(3)),
    mass1: Number(mass1.toFixed(4)),
    mass2: Number(mass2.toFixed(4)),
    mchirp: Number(mchirp.toFixed(4)),
    snr: Number(snr.toFixed(4)),
    singleSnrs: weights.map((weight) => Number(((snr * weight) / norm).toFixed(4))),
    far: Number((1e-7 * Math.exp(-(snr - 8))).toPrecision(6)),
    instruments,
    distance: Number((160 * (mchirp / 1.22) ** (5 / 6) * (8 / snr)).toFixed(1)),
  };
}

/**
 * Uploads a mock source's event as GWCelery uploads first2years events: group CBC, pipeline gstlal, search MDC (they
 * form MS… superevents) unless another search is given, its coinc.xml. Returns GraceDB's record of it.
 */
export function createMockEvent(gracedb: GraceDb, source: MockSource, search = 'MDC'): ReturnType<GraceDb['createEvent']> {
  // An early-warning pipeline labels its uploads EARLY_WARNING itself: the label is part of the upload.
  const labels = search === 'EarlyWarning' ? [EARLY_WARNING_LABEL] : [];
  return gracedb.createEvent({ group: 'CBC', pipeline: 'gstlal', search, labels, filename: 'coinc.xml', filecontents: coincXml(source) });
}

/** The LIGO-LW coinc.xml a gstlal upload carries: sngl_inspiral rows per detector and one coinc_inspiral row. */
export function coincXml(source: MockSource): string {
  const seconds = Math.floor(source.gpstime);
  const nanoseconds = Math.round((source.gpstime - seconds) * 1e9);
  const singles = source.instruments
    .map(
      (ifo, index) =>
        `"${ifo}",${seconds},${nanoseconds},${source.mass1},${source.mass2},${source.singleSnrs[index]},${(1 + index * 0.1).toFixed(2)},"sngl_inspiral:event_id:${index}"`,
    )
    .join(',\n        ');
  return `<?xml version='1.0' encoding='utf-8'?>
<!DOCTYPE LIGO_LW SYSTEM "http://ldas-sw.ligo.caltech.edu/doc/ligolwAPI/html/ligolw_dtd.txt">
<LIGO_LW>
  <Table Name="sngl_inspiral:table">
    <Column Name="sngl_inspiral:ifo" Type="lstring"/>
    <Column Name="sngl_inspiral:end_time" Type="int_4s"/>
    <Column Name="sngl_inspiral:end_time_ns" Type="int_4s"/>
    <Column Name="sngl_inspiral:mass1" Type="real_4"/>
    <Column Name="sngl_inspiral:mass2" Type="real_4"/>
    <Column Name="sngl_inspiral:snr" Type="real_4"/>
    <Column Name="sngl_inspiral:chisq" Type="real_4"/>
    <Column Name="sngl_inspiral:event_id" Type="ilwd:char"/>
    <Stream Name="sngl_inspiral:table" Delimiter="," Type="Local">
        ${singles}
    </Stream>
  </Table>
  <Table Name="coinc_inspiral:table">
    <Column Name="coinc_inspiral:combined_far" Type="real_8"/>
    <Column Name="coinc_inspiral:end_time" Type="int_4s"/>
    <Column Name="coinc_inspiral:end_time_ns" Type="int_4s"/>
    <Column Name="coinc_inspiral:ifos" Type="lstring"/>
    <Column Name="coinc_inspiral:mass" Type="real_8"/>
    <Column Name="coinc_inspiral:mchirp" Type="real_8"/>
    <Column Name="coinc_inspiral:minimum_duration" Type="real_8"/>
    <Column Name="coinc_inspiral:snr" Type="real_8"/>
    <Column Name="coinc_inspiral:false_alarm_rate" Type="real_8"/>
    <Stream Name="coinc_inspiral:table" Delimiter="," Type="Local">
        ${source.far},${seconds},${nanoseconds},"${source.instruments.join(',')}",${Number((source.mass1 + source.mass2).toFixed(4))},${source.mchirp},,${source.snr},${source.far}
    </Stream>
  </Table>
</LIGO_LW>
`;
}

function logistic(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

function probability(value: number): number {
  return Number(Math.min(1, Math.max(0, value)).toFixed(4));
}

/** em_bright from the masses: NS if the lighter body is below ~3 M☉, remnant if also the heavier is light enough. */
export function emBright(source: Pick<MockSource, 'mass1' | 'mass2'>): { HasNS: number; HasRemnant: number; HasMassGap: number } {
  const hasNs = logistic((3 - source.mass2) / 0.1);
  const hasRemnant = hasNs * logistic((8 - source.mass1) / 1.0);
  const inGap = (mass: number) => logistic((mass - 3) / 0.1) * logistic((5 - mass) / 0.1);
  return {
    HasNS: probability(hasNs),
    HasRemnant: probability(hasRemnant),
    HasMassGap: probability(Math.max(inGap(source.mass1), inGap(source.mass2))),
  };
}

/** p_astro from SNR (terrestrial odds) and masses (which astrophysical class): sums to 1. */
export function pAstro(source: Pick<MockSource, 'mass1' | 'mass2' | 'snr'>): {
  BNS: number;
  NSBH: number;
  BBH: number;
  Terrestrial: number;
} {
  const terrestrial = probability(logistic(-1.2 * (source.snr - 9)));
  const astro = 1 - terrestrial;
  const main: SourceClass = source.mass1 < 3 ? 'BNS' : source.mass2 < 3 ? 'NSBH' : 'BBH';
  const out = { BNS: 0, NSBH: 0, BBH: 0, Terrestrial: terrestrial };
  for (const kind of ['BNS', 'NSBH', 'BBH'] as const) out[kind] = kind === main ? 0 : probability(astro * 0.025);
  out[main] = probability(1 - terrestrial - (['BNS', 'NSBH', 'BBH'] as const).reduce((sum, kind) => sum + out[kind], 0));
  return out;
}

/** The BAYESTAR-like sky map: 90% area shrinking as SNR² grows; the peak's base pixel varies with the event time. */
export function mockSkymap(source: MockSource, objectId: string): Buffer {
  return writeSkymap({
    objectId,
    dateObs: gpsToDate(source.gpstime).toISOString(),
    instruments: source.instruments,
    area90: Math.min(3400, Math.max(20, 2e5 / source.snr ** 2)),
    distMean: source.distance,
    distStd: source.distance * 0.3,
    basePixel: Math.floor(source.gpstime) % 12,
  });
}
