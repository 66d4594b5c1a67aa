// Reads gpstime, FAR, instruments and extra attributes out of an uploaded event file, as GraceDB does on upload.
import { dateToGps } from './gps-time.js';
import type { CoincInspiral, ExtraAttributes, SingleInspiral } from './gracedb.js';

export interface EventFileSummary {
  gpstime: number | null;
  far: number | null;
  /** GraceDB's coinc_event columns: triggers in the coincidence, and the ranking statistic; null when not given. */
  nevents: number | null;
  likelihood: number | null;
  instruments: string;
  extra_attributes: ExtraAttributes;
}

/** The event file could not be read; the embedded store answers it as GraceDB does, with a 400. */
export class EventFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EventFileError';
  }
}

type Cell = string | number | null;
type Row = Record<string, Cell>;

/**
 * Understands the three kinds of upload the pipeline makes: a LIGO-LW coinc.xml (CBC pipelines), a VOEvent
 * (external GRB notices) and, for the embedded store only, a JSON object with the record's own field names.
 */
export function summariseEventFile(filename: string, contents: Buffer | string): EventFileSummary {
  const text = typeof contents === 'string' ? contents : contents.toString('utf8');
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) return fromJson(filename, trimmed);
  if (/<LIGO_LW[\s>]/.test(text)) return fromLigoLw(filename, text);
  if (/<(?:\w+:)?VOEvent[\s>]/.test(text)) return fromVoEvent(filename, text);
  throw new EventFileError(`cannot read ${filename}: expected a LIGO-LW coinc file, a VOEvent or a JSON object`);
}

function fromJson(filename: string, text: string): EventFileSummary {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new EventFileError(`cannot read ${filename}: ${(error as Error).message}`);
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw new EventFileError(`cannot read ${filename}: not a JSON object`);
  const fields = data as Record<string, unknown>;
  const gpstime = optionalNumber(fields.gpstime, 'gpstime', filename);
  if (gpstime === null) throw new EventFileError(`cannot read ${filename}: "gpstime" is required`);
  const instruments = Array.isArray(fields.instruments) ? fields.instruments.join(',') : (fields.instruments ?? '');
  if (typeof instruments !== 'string') throw new EventFileError(`cannot read ${filename}: "instruments" must be a string or a list`);
  const extra = fields.extra_attributes ?? {};
  if (typeof extra !== 'object' || extra === null || Array.isArray(extra)) {
    throw new EventFileError(`cannot read ${filename}: "extra_attributes" must be an object`);
  }
  return {
    gpstime,
    far: optionalNumber(fields.far, 'far', filename),
    nevents: optionalNumber(fields.nevents, 'nevents', filename),
    likelihood: optionalNumber(fields.likelihood, 'likelihood', filename),
    instruments,
    extra_attributes: extra as ExtraAttributes,
  };
}

function optionalNumber(value: unknown, field: string, filename: string): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new EventFileError(`cannot read ${filename}: "${field}" must be a number`);
  return value;
}

function fromLigoLw(filename: string, text: string): EventFileSummary {
  const coinc = readTable(text, 'coinc_inspiral')[0];
  if (!coinc) throw new EventFileError(`cannot read ${filename}: no coinc_inspiral row`);
  const singles = readTable(text, 'sngl_inspiral');
  const endTime = numberCell(coinc.end_time);
  if (endTime === null) throw new EventFileError(`cannot read ${filename}: coinc_inspiral has no end_time`);
  const gpstime = endTime + (numberCell(coinc.end_time_ns) ?? 0) * 1e-9;
  const ifos =
    typeof coinc.ifos === 'string'
      ? coinc.ifos
      : singles
          .map((row) => row.ifo)
          .filter((ifo) => typeof ifo === 'string')
          .join(',');
  const extra: ExtraAttributes = { CoincInspiral: coinc as CoincInspiral };
  if (singles.length > 0) extra.SingleInspiral = singles as SingleInspiral[];
  // GraceDB takes nevents and likelihood from the coinc_event row; without one, nevents is the number of triggers.
  const coincEvent = readTable(text, 'coinc_event')[0];
  return {
    gpstime: Number(gpstime.toFixed(6)),
    far: numberCell(coinc.combined_far),
    nevents: numberCell(coincEvent?.nevents) ?? (singles.length > 0 ? singles.length : null),
    likelihood: numberCell(coincEvent?.likelihood),
    instruments: ifos,
    extra_attributes: extra,
  };
}

function numberCell(cell: Cell | undefined): number | null {
  return typeof cell === 'number' && Number.isFinite(cell) ? cell : null;
}

/** Rows of a LIGO-LW table, column names without their `table:` prefix, numeric columns as numbers. */
function readTable(text: string, tableName: string): Row[] {
  for (const table of text.matchAll(/<Table\b([^>]*)>([\s\S]*?)<\/Table>/g)) {
    const name = attribute(table[1], 'Name')?.replace(/:table$/, '');
    if (name !== tableName) continue;
    const columns = [...table[2].matchAll(/<Column\b([^>]*?)\/?>/g)].map((column) => ({
      name: (attribute(column[1], 'Name') ?? '').split(':').pop() ?? '',
      numeric: /^(int|real|uint)/.test(attribute(column[1], 'Type') ?? ''),
    }));
    const stream = /<Stream\b([^>]*)>([\s\S]*?)<\/Stream>/.exec(table[2]);
    if (!stream || columns.length === 0) return [];
    const cells = splitStream(stream[2], attribute(stream[1], 'Delimiter') ?? ',');
    const rows: Row[] = [];
    for (let start = 0; start + columns.length <= cells.length; start += columns.length) {
      const row: Row = {};
      columns.forEach((column, index) => {
        const cell = cells[start + index];
        row[column.name] = cell === null || !column.numeric ? cell : Number(cell);
      });
      rows.push(row);
    }
    return rows;
  }
  return [];
}

function attribute(attributes: string, name: string): string | undefined {
  return new RegExp(`\\b${name}="([^"]*)"`).exec(attributes)?.[1];
}

/** Values of a LIGO-LW Stream: delimiter-separated, strings in double quotes with backslash escapes, empty = null. */
function splitStream(body: string, delimiter: string): Cell[] {
  const cells: Cell[] = [];
  let index = 0;
  const content = body.trim();
  if (content === '') return cells;
  while (index <= content.length) {
    while (index < content.length && /\s/.test(content[index])) index += 1;
    let value: Cell;
    if (content[index] === '"') {
      let text = '';
      index += 1;
      while (index < content.length && content[index] !== '"') {
        if (content[index] === '\\' && index + 1 < content.length) index += 1;
        text += content[index];
        index += 1;
      }
      index += 1;
      value = text;
      while (index < content.length && content[index] !== delimiter) index += 1;
    } else {
      const end = content.indexOf(delimiter, index);
      const raw = content.slice(index, end === -1 ? content.length : end).trim();
      index = end === -1 ? content.length : end;
      value = raw === '' ? null : raw;
    }
    cells.push(value);
    if (index >= content.length) break;
    index += 1; // the delimiter
  }
  return cells;
}

function fromVoEvent(filename: string, text: string): EventFileSummary {
  const isoTime = /<ISOTime>\s*([^<\s]+)\s*<\/ISOTime>/.exec(text)?.[1];
  if (!isoTime) throw new EventFileError(`cannot read ${filename}: the VOEvent has no ISOTime`);
  const date = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(isoTime) ? isoTime : `${isoTime}Z`);
  if (Number.isNaN(date.getTime())) throw new EventFileError(`cannot read ${filename}: bad ISOTime "${isoTime}"`);
  const number = (pattern: RegExp) => {
    const match = pattern.exec(text);
    return match ? Number(match[1]) : null;
  };
  const param = (name: string) => new RegExp(`<Param\\b[^>]*name="${name}"[^>]*value="([^"]*)"`, 'i').exec(text)?.[1] ?? null;
  const instrument = param('Instrument') ?? '';
  const found = (pattern: RegExp) => pattern.exec(text)?.[1]?.trim() || null;
  const numeric = (value: string | null) => (value === null || !Number.isFinite(Number(value)) ? null : Number(value));
  return {
    gpstime: Number(dateToGps(date).toFixed(3)),
    far: number(/<Param\b[^>]*name="FAR"[^>]*value="([^"]*)"/i),
    nevents: null,
    likelihood: null,
    instruments: instrument,
    extra_attributes: {
      // GraceDB's GrbEvent fields, read from the notice where GCN puts them (null where it does not say).
      GRB: {
        ivorn: found(/<(?:\w+:)?VOEvent\b[^>]*\sivorn="([^"]*)"/),
        author_ivorn: found(/<AuthorIVORN>([^<]*)<\/AuthorIVORN>/),
        author_shortname: found(/<Author>[\s\S]*?<shortName>([^<]*)<\/shortName>/),
        observatory_location_id: found(/<ObservatoryLocation\b[^>]*\sid="([^"]*)"/),
        coord_system: found(/<AstroCoords\b[^>]*\scoord_system_id="([^"]*)"/),
        ra: number(/<C1>\s*([^<\s]+)\s*<\/C1>/),
        dec: number(/<C2>\s*([^<\s]+)\s*<\/C2>/),
        error_radius: number(/<Error2Radius>\s*([^<\s]+)\s*<\/Error2Radius>/),
        how_description: found(/<How>[\s\S]*?<Description>([^<]*)<\/Description>/),
        how_reference_url: found(/<How>[\s\S]*?<Reference\b[^>]*\suri="([^"]*)"/),
        T90: numeric(param('T90')),
        trigger_duration: numeric(param('Trig_Dur')),
        designation: null,
        redshift: null,
        trigger_id: param('TrigID'),
      },
    },
  };
}
