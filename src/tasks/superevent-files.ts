// Finding an event's or superevent's latest sky map, em_bright and p_astro files in its log, and reading them.
import type { GraceDb, LogRecord, SupereventRecord } from '../gracedb/index.js';
import { splitVersionedFilename } from '../gracedb/id-patterns.js';
import { readSkymap, credibleArea } from './skymap-fits.js';

/** The GraceDB page of a superevent, as alerts and circulars link it (the API link without `api/`, plus `view/`). */
export function supereventPage(superevent: Pick<SupereventRecord, 'links'>): string {
  return superevent.links.self.replace('/api/', '/') + 'view/';
}

export interface DataProductFiles {
  /** `name,version` of each, as the update form and GraceDB's file links name them. */
  skymap?: string;
  em_bright?: string;
  p_astro?: string;
}

/**
 * The latest file of each kind, as GWCelery's orchestrator picks them: a `.multiorder.fits` tagged sky_loc, JSON
 * files tagged em_bright and p_astro. On a superevent only files tagged public count (the ones copied for alerts).
 */
export function latestDataProducts(logs: LogRecord[], options: { requirePublic?: boolean } = {}): DataProductFiles {
  const found: DataProductFiles = {};
  const hasTags = (entry: LogRecord, ...tags: string[]) =>
    tags.every((tag) => entry.tag_names.includes(tag)) && (!options.requirePublic || entry.tag_names.includes('public'));
  for (const entry of logs) {
    if (!entry.filename || entry.file_version === null) continue;
    const versioned = `${entry.filename},${entry.file_version}`;
    if (hasTags(entry, 'sky_loc') && entry.filename.endsWith('.multiorder.fits') && !entry.filename.includes('combined'))
      found.skymap = versioned;
    if (hasTags(entry, 'em_bright') && entry.filename.endsWith('.json')) found.em_bright = versioned;
    if (hasTags(entry, 'p_astro') && entry.filename.endsWith('.json')) found.p_astro = versioned;
  }
  return found;
}

/**
 * The exact file a name stands for among an object's files (GraceDB's file list, `listFiles`): `name,version` when that
 * version is there, an unversioned `name` as its latest version (what GraceDB would serve for it now), undefined when
 * the object has no such file.
 */
export function exactFilename(files: Readonly<Record<string, string>>, filename: string): string | undefined {
  const { name, version } = splitVersionedFilename(filename);
  if (version !== undefined) return Object.hasOwn(files, `${name},${version}`) ? `${name},${version}` : undefined;
  let latest: number | undefined;
  for (const listed of Object.keys(files)) {
    const entry = splitVersionedFilename(listed);
    if (entry.name === name && entry.version !== undefined && (latest === undefined || entry.version > latest)) latest = entry.version;
  }
  return latest === undefined ? undefined : `${name},${latest}`;
}

export interface SkymapSummary {
  filename: string;
  bytes: Buffer;
  area90: number;
  area50: number;
  distMean?: number;
  distStd?: number;
}

export async function readSkymapFile(gracedb: GraceDb, objectId: string, filename: string): Promise<SkymapSummary> {
  const bytes = await gracedb.download(filename, objectId);
  const summary: SkymapSummary = { filename, bytes, area90: NaN, area50: NaN };
  try {
    const map = readSkymap(bytes);
    summary.area90 = credibleArea(map.pixels, 0.9);
    summary.area50 = credibleArea(map.pixels, 0.5);
    if (typeof map.header.DISTMEAN === 'number') summary.distMean = map.header.DISTMEAN;
    if (typeof map.header.DISTSTD === 'number') summary.distStd = map.header.DISTSTD;
  } catch {
    // A sky map this code cannot read (e.g. another pipeline's) is still sent; circulars just omit its areas.
  }
  return summary;
}

/** A JSON data product (em_bright or p_astro) as a table of probabilities. */
export async function readProbabilities(gracedb: GraceDb, objectId: string, filename: string): Promise<Record<string, number>> {
  const bytes = await gracedb.download(filename, objectId);
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new Error(`${filename} on ${objectId} is not JSON`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`${filename} on ${objectId} is not a JSON object`);
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(parsed)) if (typeof value === 'number' && Number.isFinite(value)) out[key] = value;
  return out;
}

/**
 * The alert builder reads a superevent's files from the superevent; a view of an alert not sent yet reads these
 * `files` where they are now (`from`: the preferred event whose files a preliminary alert would copy).
 */
export function readingFilesFrom(gracedb: GraceDb, supereventId: string, from: string, files: DataProductFiles): GraceDb {
  const chosen = new Set(Object.values(files));
  return Object.assign(Object.create(gracedb) as GraceDb, {
    download: (filename: string, objectId: string) =>
      gracedb.download(filename, objectId === supereventId && chosen.has(filename) ? from : objectId),
  });
}
