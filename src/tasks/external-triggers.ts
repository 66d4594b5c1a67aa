// External (GRB) triggers: GCN VOEvents become External events in GraceDB, as GWCelery's external_triggers does.
import { z } from 'zod';
import type { EventRecord, GraceDb } from '../gracedb/index.js';
import { escapeXml, gpsToDate } from '../gracedb/index.js';
import { defineTask } from '../queue/registry.js';
import { services } from './services.js';

/** Observatory (GraceDB pipeline) by the VOEvent stream in the IVORN's path. */
const STREAM_OBSERVATORY: Record<string, string> = {
  Fermi: 'Fermi',
  SWIFT: 'Swift',
  UntargetedSubGRB: 'Fermi',
  INTEGRAL: 'INTEGRAL',
  AGILE: 'AGILE',
};

export interface GrbNotice {
  gpstime: number;
  observatory: 'Fermi' | 'Swift';
  ra: number;
  dec: number;
  /** Degrees (1σ statistical). */
  errorRadius: number;
  /** Mock data challenge notice: an `lvk.internal` IVORN and role="test". */
  mdc?: boolean;
}

/** The parts of a GCN VOEvent that differ between notices; gcnVoEvent writes the envelope around them. */
export interface VoEventParts {
  ivorn: string;
  /** `observation`, or `test` for a mock data challenge notice. */
  role: 'observation' | 'test';
  /** ISO time of the trigger: the notice's Date and its ISOTime. */
  date: string;
  /** The `<Param …/>` lines of What, in order. */
  params: string[];
  /** A Position2D element (GRB notices); a SNEWS notice has none. */
  position?: string;
}

/** A GCN VOEvent in the shape GCN sends them: one writer for the GRB notices and the mock SNEWS notice. */
export function gcnVoEvent(parts: VoEventParts): string {
  const params = parts.params.map((param) => `    ${param}\n`).join('');
  const position = parts.position === undefined ? '' : `${parts.position.replace(/^/gm, '          ')}\n`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<voe:VOEvent xmlns:voe="http://www.ivoa.net/xml/VOEvent/v2.0" ivorn="${escapeXml(parts.ivorn)}" role="${parts.role}" version="2.0">
  <Who>
    <AuthorIVORN>ivo://nasa.gsfc.tan/gcn</AuthorIVORN>
    <Date>${parts.date}</Date>
  </Who>
  <What>
${params}  </What>
  <WhereWhen>
    <ObsDataLocation>
      <ObservatoryLocation id="GEOLUN" />
      <ObservationLocation>
        <AstroCoordSystem id="UTC-FK5-GEO" />
        <AstroCoords coord_system_id="UTC-FK5-GEO">
          <Time unit="s"><TimeInstant><ISOTime>${parts.date}</ISOTime></TimeInstant></Time>
${position}        </AstroCoords>
      </ObservationLocation>
    </ObsDataLocation>
  </WhereWhen>
</voe:VOEvent>
`;
}

/** A GCN VOEvent (Fermi GBM or Swift BAT position notice) for a GRB at the given time and place. */
export function grbVoEvent(notice: GrbNotice): string {
  const date = gpsToDate(notice.gpstime).toISOString();
  const stream = notice.observatory === 'Swift' ? 'SWIFT' : 'Fermi';
  const ivorn = notice.mdc ? `ivo://lvk.internal/${stream}#MDC-test_event${date}` : `ivo://nasa.gsfc.gcn/${stream}#GRB_${date}`;
  const instrument = notice.observatory === 'Swift' ? 'BAT' : 'GBM';
  return gcnVoEvent({
    ivorn,
    role: notice.mdc ? 'test' : 'observation',
    date,
    params: [
      `<Param name="TrigID" value="${Math.floor(notice.gpstime)}" ucd="meta.id" />`,
      `<Param name="Instrument" value="${instrument}" />`,
      '<Param name="Trig_Dur" value="2.048" unit="s" />',
    ],
    position: `<Position2D unit="deg">
  <Name1>RA</Name1><Name2>Dec</Name2>
  <Value2><C1>${notice.ra.toFixed(4)}</C1><C2>${notice.dec.toFixed(4)}</C2></Value2>
  <Error2Radius>${notice.errorRadius.toFixed(4)}</Error2Radius>
</Position2D>`,
  });
}

/** The notice's IVORN and trigger number (GCN's TrigID, or Trans_Num for some streams). */
export function voEventIdentity(text: string): { ivorn: string; trigId: number | undefined; observatory: string } {
  const ivorn = /<(?:\w+:)?VOEvent\b[^>]*\bivorn="([^"]+)"/.exec(text)?.[1]?.replace(/&amp;/g, '&') ?? '';
  const trig = /<Param\b[^>]*name="(?:TrigID|Trans_Num)"[^>]*value="(\d+)"/.exec(text)?.[1];
  const stream = /^ivo:\/\/[^/]+\/([^#]+)#/.exec(ivorn)?.[1] ?? '';
  return { ivorn, trigId: trig === undefined ? undefined : Number(trig), observatory: STREAM_OBSERVATORY[stream] ?? 'Fermi' };
}

/** Uploads a GRB notice as an External event (search GRB, or MDC for mock data challenge notices). */
export async function uploadGrbNotice(gracedb: GraceDb, payload: string, search = 'GRB'): Promise<EventRecord> {
  const { observatory } = voEventIdentity(payload);
  return gracedb.createEvent({
    group: 'External',
    pipeline: observatory,
    search,
    filename: `${observatory.toLowerCase()}_grb_gcn.xml`,
    filecontents: payload,
  });
}

/** The IVORN and TrigID of an external event: from its record when GraceDB parsed them, else from its VOEvent. */
export async function externalIdentity(gracedb: GraceDb, event: EventRecord): Promise<{ ivorn: string; trigId: number | undefined }> {
  const grb = event.extra_attributes.GRB ?? {};
  if (typeof grb.ivorn === 'string' && typeof grb.trigger_id === 'number') return { ivorn: grb.ivorn, trigId: grb.trigger_id };
  const original = (await gracedb.getLogs(event.graceid)).find((entry) => entry.comment === 'Original Data' && entry.filename);
  if (!original) return { ivorn: '', trigId: undefined };
  const text = (await gracedb.download(`${original.filename},${original.file_version ?? 0}`, event.graceid)).toString('utf8');
  return voEventIdentity(text);
}

export const handleGrbGcn = defineTask({
  name: 'gwqueue.tasks.external_triggers.handle_grb_gcn',
  queue: 'exttrig',
  description: 'Uploads a Fermi/Swift GRB VOEvent as an External event in GraceDB; returns its record.',
  params: {
    payload: z.string().min(1).max(1_000_000),
    search: z.enum(['GRB', 'SubGRB', 'SubGRBTargeted', 'MDC']).default('GRB'),
  },
  async run({ payload, search }) {
    return uploadGrbNotice(services().gracedb, payload, search);
  },
});
