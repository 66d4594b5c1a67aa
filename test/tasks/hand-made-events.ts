// Hand-made events for the superevent tests: records shaped like GraceDB's, with just the fields the rules read.
import type { EventFacts } from '../../src/tasks/superevent-rules.js';

export const COMPLETE_CBC = ['SKYMAP_READY', 'EMBRIGHT_READY', 'PASTRO_READY'];

export function cbcEvent(
  fields: {
    graceid?: string;
    gpstime?: number;
    far?: number | null;
    snr?: number;
    ifos?: string[];
    labels?: string[];
    offline?: boolean;
    search?: string;
    pipeline?: string;
  } = {},
): EventFacts {
  const ifos = fields.ifos ?? ['H1', 'L1'];
  return {
    graceid: fields.graceid ?? 'G1',
    group: 'CBC',
    pipeline: fields.pipeline ?? 'gstlal',
    search: fields.search ?? 'AllSky',
    gpstime: fields.gpstime ?? 1_388_232_018,
    far: fields.far === undefined ? 1e-10 : fields.far,
    instruments: ifos.join(','),
    offline: fields.offline ?? false,
    labels: fields.labels ?? COMPLETE_CBC,
    extra_attributes: { CoincInspiral: { snr: fields.snr ?? 12 }, SingleInspiral: ifos.map((ifo) => ({ ifo, snr: 8 })) },
  };
}

export function burstEvent(
  fields: { graceid?: string; gpstime?: number; far?: number; duration?: number; labels?: string[] } = {},
): EventFacts {
  return {
    graceid: fields.graceid ?? 'G9',
    group: 'Burst',
    pipeline: 'CWB',
    search: 'AllSky',
    gpstime: fields.gpstime ?? 1_388_232_018,
    far: fields.far ?? 1e-10,
    instruments: 'H1,L1',
    offline: false,
    labels: fields.labels ?? ['SKYMAP_READY'],
    extra_attributes: { MultiBurst: { duration: fields.duration ?? 0.5, snr: 20 } },
  };
}

/** The JSON event file the embedded GraceDB parses into such a record. */
export function eventFile(event: EventFacts): string {
  return JSON.stringify({
    gpstime: event.gpstime,
    far: event.far,
    instruments: event.instruments,
    extra_attributes: event.extra_attributes,
  });
}
