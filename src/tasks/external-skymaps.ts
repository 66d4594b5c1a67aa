// An external event's sky map from a URL (GWCelery's get_upload_external_skymap, "FromURL"): allow-listed, bounded and checked to be FITS, in a worker.
import { gunzipSync, gzipSync } from 'node:zlib';
import { z } from 'zod';
import { EXTERNAL_EVENT_ID } from '../gracedb/id-patterns.js';
import { defineTask } from '../queue/registry.js';
import { TransientError } from '../queue/errors.js';
import { services } from './services.js';
import { readFitsHeaders, readSkymap } from './skymap-fits.js';
import { plotSkymap } from './skymap-png.js';

/** GWCelery's names for a sky map fetched from a URL, its log tag and the label it applies afterwards. */
export const FROM_URL_BASENAME = 'external_from_url';
export const EXTERNAL_SKYMAP_TAGS = ['sky_loc'];
export const EXTERNAL_SKYMAP_READY = 'EXT_SKYMAP_READY';
/** Redirects followed, each to an allow-listed host again. */
const MAX_REDIRECTS = 3;

export interface DownloadLimits {
  /** Allow-list entries: `host` (any port), `host:port`, or `.example.org` (that domain and every host under it). */
  hosts: readonly string[];
  maxBytes: number;
  timeoutMs: number;
}

function hostAllowed(url: URL, hosts: readonly string[]): boolean {
  const hostname = url.hostname.toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return hosts.some((raw) => {
    const entry = raw.trim().toLowerCase();
    if (!entry) return false;
    if (entry.startsWith('.')) return hostname === entry.slice(1) || hostname.endsWith(entry);
    const withPort = /^(.*):(\d+)$/.exec(entry);
    if (withPort && !entry.endsWith(']')) return hostname === withPort[1] && port === withPort[2];
    return hostname === entry;
  });
}

/** Why this URL may not be fetched, or undefined: http(s) only, no credentials in it, a host on the allow-list. */
export function skymapUrlProblem(text: string, hosts: readonly string[]): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'must be an http:// or https:// URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http:// or https:// URL';
  if (url.username || url.password) return 'must not carry a user name or password';
  if (!hostAllowed(url, hosts))
    return `is on host ${url.host}, which is not on the allow-list (GWQUEUE_EXTERNAL_SKYMAP_HOSTS: ${hosts.join(', ') || 'empty'})`;
  return undefined;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(bytes < 1_048_576 ? 2 : 0)} MiB`;
}

/**
 * GETs the URL within the limits: every hop (redirects included) on the allow-list, at most `maxBytes` read (the
 * declared length is checked first), everything done within `timeoutMs`. Network trouble and 408/429/5xx answers are
 * transient (the task retries); a refused host, another HTTP error, too many bytes or too much time fail at once.
 */
export async function downloadWithinLimits(urlText: string, limits: DownloadLimits): Promise<Buffer> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, limits.timeoutMs);
  const tooSlow = () =>
    new Error(
      `downloading ${urlText} took longer than ${limits.timeoutMs / 1000} s (GWQUEUE_EXTERNAL_SKYMAP_TIMEOUT); nothing was uploaded`,
    );
  const tooBig = (size: string) =>
    new Error(`${urlText} is larger than ${megabytes(limits.maxBytes)} (${size}; GWQUEUE_EXTERNAL_SKYMAP_MAX_BYTES); nothing was uploaded`);
  try {
    let url = urlText;
    for (let hop = 0; ; hop += 1) {
      const problem = skymapUrlProblem(url, limits.hosts);
      if (problem) throw new Error(`${hop ? 'redirected to ' : ''}${url} ${problem}; nothing was uploaded`);
      const response = await fetch(url, { redirect: 'manual', signal: controller.signal, headers: { Accept: '*/*' } });
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel();
        if (hop >= MAX_REDIRECTS) throw new Error(`${urlText} redirects more than ${MAX_REDIRECTS} times; nothing was uploaded`);
        url = new URL(location, url).href;
        continue;
      }
      if (!response.ok) {
        await response.body?.cancel();
        const message = `GET ${url} answered ${response.status} ${response.statusText}`.trim();
        if ([408, 429].includes(response.status) || response.status >= 500) throw new TransientError(message);
        throw new Error(`${message}; nothing was uploaded`);
      }
      const declared = Number(response.headers.get('content-length'));
      if (Number.isFinite(declared) && declared > limits.maxBytes) {
        await response.body?.cancel();
        throw tooBig(`${declared} bytes declared`);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of response.body ?? []) {
        size += (chunk as Uint8Array).byteLength;
        if (size > limits.maxBytes) {
          controller.abort();
          throw tooBig(`more than ${limits.maxBytes} bytes sent`);
        }
        chunks.push(Buffer.from(chunk as Uint8Array));
      }
      return Buffer.concat(chunks);
    }
  } catch (error) {
    if (timedOut) throw tooSlow();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

export interface CheckedSkymap {
  /** What is uploaded: a multi-order map as plain FITS, a flat (all-sky HEALPix) map gzipped, as its name says. */
  bytes: Buffer;
  filename: string;
  multiorder: boolean;
}

/** Checks that the bytes are a HEALPix sky map in FITS (gzipped or not) and names them as GWCelery does. */
export function checkSkymapFile(bytes: Buffer, source: string, maxBytes: number): CheckedSkymap {
  const gzipped = bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
  let plain = bytes;
  if (gzipped) {
    try {
      plain = gunzipSync(bytes, { maxOutputLength: maxBytes });
    } catch (error) {
      throw new Error(`${source} is gzip data that does not unpack within ${megabytes(maxBytes)}: ${(error as Error).message}`);
    }
  }
  let headers;
  try {
    headers = readFitsHeaders(plain, 2);
  } catch {
    const start = JSON.stringify(plain.toString('latin1', 0, 16));
    throw new Error(`${source} is not a FITS file (it begins ${start}); nothing was uploaded`);
  }
  const table = headers[1];
  if (!table || table.XTENSION !== 'BINTABLE' || table.PIXTYPE !== 'HEALPIX')
    throw new Error(
      `${source} is a FITS file but holds no HEALPix sky map (no binary table with PIXTYPE = 'HEALPIX'); nothing was uploaded`,
    );
  const multiorder = table.INDXSCHM === 'EXPLICIT' || table.ORDERING === 'NUNIQ';
  return multiorder
    ? { bytes: plain, filename: `${FROM_URL_BASENAME}.multiorder.fits`, multiorder }
    : { bytes: gzipped ? bytes : gzipSync(plain), filename: `${FROM_URL_BASENAME}.fits.gz`, multiorder };
}

/**
 * The map drawn as external_from_url.png (Mollweide), as GWCelery uploads one beside it: only a multi-order map that
 * this code reads (UNIQ and PROBDENSITY first); for any other the result says why there is no picture.
 */
async function uploadPlot(extId: string, checked: CheckedSkymap): Promise<{ filename: string } | { filename: null; reason: string }> {
  let png: Buffer;
  try {
    if (!checked.multiorder) throw new Error('a flat (all-sky HEALPix) map is not drawn here, only multi-order ones');
    png = plotSkymap(readSkymap(checked.bytes));
  } catch (error) {
    return { filename: null, reason: (error as Error).message };
  }
  const filename = `${FROM_URL_BASENAME}.png`;
  await services().gracedb.writeLog(
    extId,
    `Mollweide projection of <a href="/api/events/${extId}/files/${checked.filename}">${checked.filename}</a>`,
    { filename, filecontents: png, tags: EXTERNAL_SKYMAP_TAGS },
  );
  return { filename };
}

export const getUploadExternalSkymap = defineTask({
  name: 'gwqueue.tasks.external_skymaps.get_upload_external_skymap',
  description:
    'Downloads a sky map from an allow-listed http(s) URL (size and time limits), checks it is a HEALPix FITS file, uploads it to the external event (tag sky_loc) with a Mollweide PNG of a multi-order map, and labels it EXT_SKYMAP_READY.',
  params: {
    ext_id: z.string().regex(EXTERNAL_EVENT_ID, 'must be an external event ID such as E1234'),
    skymap_url: z.string().min(1).max(2000),
  },
  async run({ ext_id, skymap_url }, ctx) {
    const { gracedb, config } = services();
    const limits: DownloadLimits = {
      hosts: config.domain.externalSkymapHosts,
      maxBytes: config.domain.externalSkymapMaxBytes,
      timeoutMs: config.domain.externalSkymapTimeoutSeconds * 1000,
    };
    // The form checked the URL; `gwqueue call` and a changed allow-list do not pass through it.
    const problem = skymapUrlProblem(skymap_url, limits.hosts);
    if (problem) throw new Error(`skymap_url ${problem}; nothing was downloaded`);
    // The event must exist before anything is fetched for it.
    await gracedb.getEvent(ext_id);
    const downloaded = await downloadWithinLimits(skymap_url, limits);
    await ctx.log(`downloaded ${downloaded.length} bytes from ${skymap_url}`);
    const checked = checkSkymapFile(downloaded, skymap_url, limits.maxBytes);
    const entry = await gracedb.writeLog(ext_id, `Downloaded from ${skymap_url}.`, {
      filename: checked.filename,
      filecontents: checked.bytes,
      tags: EXTERNAL_SKYMAP_TAGS,
    });
    const png = await uploadPlot(ext_id, checked);
    await gracedb.createLabel(EXTERNAL_SKYMAP_READY, ext_id);
    return {
      ext_id,
      filename: checked.filename,
      file_version: entry.file_version,
      bytes: checked.bytes.length,
      multiorder: checked.multiorder,
      png,
      label: EXTERNAL_SKYMAP_READY,
      source: skymap_url,
    };
  },
});
