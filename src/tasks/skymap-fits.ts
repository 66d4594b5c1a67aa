// Tiny multi-order HEALPix sky maps in FITS (a primary HDU and a UNIQ/PROBDENSITY binary table), written and read.

const BLOCK = 2880;
const CARD = 80;
/** The whole sky in square degrees. */
const SKY_DEG2 = 4 * Math.PI * (180 / Math.PI) ** 2;

export interface SkymapPixel {
  uniq: number;
  /** Probability per steradian. */
  probdensity: number;
}

export interface Skymap {
  header: Record<string, string | number | boolean>;
  pixels: SkymapPixel[];
}

export interface SkymapSource {
  objectId: string;
  /** UTC time of the event (ISO 8601), for DATE-OBS. */
  dateObs: string;
  instruments: string[];
  /** Wanted 90% credible area in deg²: the map spreads 90% of its probability over that much sky. */
  area90: number;
  distMean: number;
  distStd: number;
  /** HEALPix base pixel (0–11) holding the probability peak. */
  basePixel: number;
  /** CREATOR card and its comment; default gwqueue's synthetic maps for mock events. */
  creator?: { name: string; comment: string };
  /** HISTORY cards: how the map was made, for whoever opens the file. */
  history?: string[];
}

/** HEALPix order of a NUNIQ index: ⌊log₄(uniq/4)⌋. */
export function pixelOrder(uniq: number): number {
  return Math.floor(Math.log2(uniq / 4) / 2);
}

/** The base pixel (0–11) a NUNIQ pixel lies in (nested numbering keeps each base pixel's children together). */
export function basePixelOf(uniq: number): number {
  const order = pixelOrder(uniq);
  return Math.floor((uniq - 4 * 4 ** order) / 4 ** order);
}

/** Pixel area in steradians for a NUNIQ index (order = ⌊log₄(uniq/4)⌋). */
export function pixelArea(uniq: number): number {
  return (4 * Math.PI) / (12 * 4 ** pixelOrder(uniq));
}

function card(keyword: string, value: string | number | boolean, comment?: string): string {
  let text: string;
  if (typeof value === 'string') text = `'${value.replace(/'/g, "''").padEnd(8)}'`.padEnd(20);
  else if (typeof value === 'boolean') text = (value ? 'T' : 'F').padStart(20);
  else text = (Number.isInteger(value) ? String(value) : value.toExponential(10).toUpperCase()).padStart(20);
  const line = `${keyword.padEnd(8)}= ${text}${comment ? ` / ${comment}` : ''}`;
  return line.slice(0, CARD).padEnd(CARD);
}

function headerBlock(cards: string[]): Buffer {
  const text = [...cards, 'END'.padEnd(CARD)].join('');
  return Buffer.from(text.padEnd(Math.ceil(text.length / BLOCK) * BLOCK), 'ascii');
}

/** The whole sky is 12 base pixels of this many deg² each. */
const BASE_PIXEL_DEG2 = SKY_DEG2 / 12;

/**
 * Pixels of a map whose 90% region is `area90` deg². Up to one base pixel's area: base pixel `basePixel` refined to
 * order 3 (64 pixels of 53.7 deg²), the other 11 at order 0. Larger (a single detector's map): the 90% spread evenly
 * over that many base pixels from `basePixel` on, at order 0.
 */
function skymapPixels(area90: number, basePixel: number): { pixels: SkymapPixel[]; order: number } {
  const baseSr = (4 * Math.PI) / 12;
  if (area90 > BASE_PIXEL_DEG2 * 1.5) {
    const wide = Math.min(10, Math.round(area90 / BASE_PIXEL_DEG2));
    const bases = Array.from({ length: wide }, (_, step) => (basePixel + step) % 12);
    const pixels = Array.from({ length: 12 }, (_, base) => ({
      uniq: 4 + base,
      probdensity: (bases.includes(base) ? 0.9 / wide : 0.1 / (12 - wide)) / baseSr,
    }));
    return { pixels, order: 0 };
  }
  const order = 3;
  const fine = 4 ** order;
  const fineArea = (4 * Math.PI) / (12 * fine);
  const peak = Math.max(1, Math.min(fine, Math.round(area90 / ((fineArea * SKY_DEG2) / (4 * Math.PI)))));
  const restFine = fine - peak;
  // The last 10%: most of it next to the peak, a little over the rest of the sky.
  const nearShare = restFine > 0 ? 0.07 : 0;
  const farShare = 0.1 - nearShare;
  const pixels: SkymapPixel[] = [];
  for (let base = 0; base < 12; base += 1) {
    if (base !== basePixel) pixels.push({ uniq: 4 + base, probdensity: farShare / 11 / baseSr });
  }
  for (let index = 0; index < fine; index += 1) {
    const probability = index < peak ? 0.9 / peak : nearShare / restFine;
    pixels.push({ uniq: 4 * fine + basePixel * fine + index, probdensity: probability / fineArea });
  }
  return { pixels, order };
}

/** A valid multi-order FITS sky map (a primary HDU and a UNIQ/PROBDENSITY table) holding 90% over about `area90` deg². */
export function writeSkymap(source: SkymapSource): Buffer {
  const { pixels, order } = skymapPixels(source.area90, source.basePixel);
  pixels.sort((a, b) => a.uniq - b.uniq);

  const data = Buffer.alloc(Math.ceil((pixels.length * 16) / BLOCK) * BLOCK);
  pixels.forEach((pixel, row) => {
    data.writeBigInt64BE(BigInt(pixel.uniq), row * 16);
    data.writeDoubleBE(pixel.probdensity, row * 16 + 8);
  });
  const primary = headerBlock([
    card('SIMPLE', true, 'conforms to FITS standard'),
    card('BITPIX', 8),
    card('NAXIS', 0),
    card('EXTEND', true),
  ]);
  const table = headerBlock([
    card('XTENSION', 'BINTABLE', 'binary table extension'),
    card('BITPIX', 8),
    card('NAXIS', 2),
    card('NAXIS1', 16, 'bytes per row'),
    card('NAXIS2', pixels.length, 'number of rows'),
    card('PCOUNT', 0),
    card('GCOUNT', 1),
    card('TFIELDS', 2),
    card('TTYPE1', 'UNIQ'),
    card('TFORM1', 'K'),
    card('TTYPE2', 'PROBDENSITY'),
    card('TFORM2', 'D'),
    card('TUNIT2', 'sr-1'),
    card('PIXTYPE', 'HEALPIX', 'HEALPIX pixelisation'),
    card('ORDERING', 'NUNIQ', 'multi-order pixel indexing'),
    card('COORDSYS', 'C', 'equatorial'),
    card('MOCORDER', order, 'deepest order'),
    card('INDXSCHM', 'EXPLICIT'),
    card('OBJECT', source.objectId, 'unique event identifier'),
    card('DATE-OBS', source.dateObs, 'UTC date of the observation'),
    card('INSTRUME', source.instruments.join(','), 'instruments'),
    card('CREATOR', source.creator?.name ?? 'gwqueue', source.creator?.comment ?? 'synthetic map for mock events'),
    card('ORIGIN', 'LIGO/Virgo/KAGRA'),
    card('DISTMEAN', Number(source.distMean.toFixed(3)), 'posterior mean distance (Mpc)'),
    card('DISTSTD', Number(source.distStd.toFixed(3)), 'posterior standard deviation of distance (Mpc)'),
    ...(source.history ?? []).map((line) => `HISTORY ${line}`.slice(0, CARD).padEnd(CARD)),
  ]);
  return Buffer.concat([primary, table, data]);
}

function readHeader(bytes: Buffer, offset: number): { header: FitsHeader; end: number } {
  const header: FitsHeader = {};
  for (let at = offset; at + CARD <= bytes.length; at += CARD) {
    const line = bytes.toString('ascii', at, at + CARD);
    const keyword = line.slice(0, 8).trim();
    if (keyword === 'END') return { header, end: Math.ceil((at + CARD - offset) / BLOCK) * BLOCK + offset };
    if (line.slice(8, 10) !== '= ') continue;
    const raw = line.slice(10);
    const quoted = /^\s*'((?:[^']|'')*)'/.exec(raw);
    if (quoted) header[keyword] = quoted[1].replace(/''/g, "'").trimEnd();
    else {
      const value = raw.split('/')[0].trim();
      header[keyword] = value === 'T' ? true : value === 'F' ? false : Number(value);
    }
  }
  throw new Error('not a FITS file: no END card');
}

export type FitsHeader = Record<string, string | number | boolean>;

/** Bytes of an HDU's data, padded to whole blocks: |BITPIX|/8 × GCOUNT × (PCOUNT + NAXIS1 × … × NAXISn). */
function dataBytes(header: FitsHeader): number {
  const axes = Number(header.NAXIS ?? 0);
  if (!axes) return 0;
  let values = 1;
  for (let axis = 1; axis <= axes; axis += 1) values *= Number(header[`NAXIS${axis}`] ?? 0);
  const raw = (Math.abs(Number(header.BITPIX ?? 8)) / 8) * Number(header.GCOUNT ?? 1) * (Number(header.PCOUNT ?? 0) + values);
  return Math.ceil(raw / BLOCK) * BLOCK;
}

/** The headers of a FITS file's first `count` HDUs; throws when the bytes are not FITS (no SIMPLE first, no END). */
export function readFitsHeaders(bytes: Buffer, count = 2): FitsHeader[] {
  if (bytes.toString('ascii', 0, 9) !== 'SIMPLE  =') throw new Error('not a FITS file');
  const headers: FitsHeader[] = [];
  let offset = 0;
  while (headers.length < count && offset < bytes.length) {
    const { header, end } = readHeader(bytes, offset);
    headers.push(header);
    offset = end + dataBytes(header);
  }
  return headers;
}

/** Reads a sky map written by writeSkymap (or any NUNIQ map with K/D columns UNIQ and PROBDENSITY first). */
export function readSkymap(bytes: Buffer): Skymap {
  if (bytes.toString('ascii', 0, 9) !== 'SIMPLE  =') throw new Error('not a FITS file');
  const primary = readHeader(bytes, 0);
  const table = readHeader(bytes, primary.end);
  if (table.header.XTENSION !== 'BINTABLE' || table.header.ORDERING !== 'NUNIQ') throw new Error('not a multi-order (NUNIQ) sky map');
  const rowBytes = Number(table.header.NAXIS1);
  const rows = Number(table.header.NAXIS2);
  if (table.end + rowBytes * rows > bytes.length) throw new Error('sky map is truncated');
  const pixels: SkymapPixel[] = [];
  for (let row = 0; row < rows; row += 1) {
    const at = table.end + row * rowBytes;
    pixels.push({ uniq: Number(bytes.readBigInt64BE(at)), probdensity: bytes.readDoubleBE(at + 8) });
  }
  return { header: { ...primary.header, ...table.header }, pixels };
}

/** Area in deg² of the smallest region holding `level` of the probability (densest pixels first). */
export function credibleArea(pixels: SkymapPixel[], level = 0.9): number {
  const sorted = [...pixels].sort((a, b) => b.probdensity - a.probdensity);
  let probability = 0;
  let area = 0;
  for (const pixel of sorted) {
    if (probability >= level - 1e-9) break;
    const pixelSr = pixelArea(pixel.uniq);
    probability += pixel.probdensity * pixelSr;
    area += pixelSr;
  }
  return area * (SKY_DEG2 / (4 * Math.PI));
}
