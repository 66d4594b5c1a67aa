// The multipart/form-data bodies GraceDB's clients send (an event file, a log's upload), read whole within a size bound.
import type { NextFunction, Request, Response } from 'express';
import { GraceDbBadRequestError } from '../../gracedb/index.js';

export interface UploadedFile {
  filename: string;
  contents: Buffer;
}

/** Text fields (a name may repeat: `labels`, `tagname`) and files by field name. */
export interface MultipartBody {
  fields: Record<string, string[]>;
  files: Record<string, UploadedFile>;
}

declare module 'express-serve-static-core' {
  interface Request {
    multipart?: MultipartBody;
  }
}

/** Too large: answered 413 before anything is parsed or written. */
export class BodyTooLargeError extends Error {
  readonly status = 413;
  constructor(readonly limit: number) {
    super(`the request body is larger than the ${limit} bytes this GraceDB accepts`);
    this.name = 'BodyTooLargeError';
  }
}

function parseHeaders(block: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of block.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

/** A Content-Disposition parameter, quoted or not (`name="eventFile"; filename="coinc.xml"`). */
function parameter(disposition: string, name: string): string | undefined {
  const match = new RegExp(`(?:^|;)\\s*${name}="((?:[^"\\\\]|\\\\.)*)"|(?:^|;)\\s*${name}=([^;]*)`, 'i').exec(disposition);
  if (!match) return undefined;
  return match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : match[2].trim();
}

export function parseMultipart(body: Buffer, contentType: string): MultipartBody {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!boundary) throw new GraceDbBadRequestError('Multipart form parse error - no boundary in the Content-Type');
  const delimiter = Buffer.from(`--${(boundary[1] ?? boundary[2]).trim()}`);
  const result: MultipartBody = { fields: {}, files: {} };
  let at = body.indexOf(delimiter);
  if (at < 0) throw new GraceDbBadRequestError('Multipart form parse error - the body has no parts');
  for (;;) {
    at += delimiter.length;
    if (body.subarray(at, at + 2).toString() === '--') return result;
    at += 2; // CRLF after the delimiter
    const headerEnd = body.indexOf('\r\n\r\n', at);
    if (headerEnd < 0) throw new GraceDbBadRequestError('Multipart form parse error - a part has no headers');
    const headers = parseHeaders(body.subarray(at, headerEnd).toString('utf8'));
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headerEnd + 4);
    if (next < 0) throw new GraceDbBadRequestError('Multipart form parse error - the body ends inside a part');
    const contents = body.subarray(headerEnd + 4, next);
    const disposition = headers['content-disposition'] ?? '';
    const name = parameter(disposition, 'name');
    if (name !== undefined) {
      const filename = parameter(disposition, 'filename');
      if (filename !== undefined) result.files[name] = { filename, contents: Buffer.from(contents) };
      else (result.fields[name] ??= []).push(contents.toString('utf8'));
    }
    at = next + 2;
  }
}

/**
 * Reads a multipart body of at most `limit` bytes into req.multipart; any other body is left to express.json and
 * express.urlencoded (which the app ran already). A larger body is refused as it streams in (413), never buffered.
 */
export function multipartBody(limit: number) {
  return (req: Request, _res: Response, next: NextFunction) => {
    const type = req.get('content-type') ?? '';
    if (!/^multipart\/form-data/i.test(type)) return next();
    const declared = Number(req.get('content-length'));
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      return next(new BodyTooLargeError(limit));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        chunks.length = 0;
        next(new BodyTooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (failed) return;
      try {
        req.multipart = parseMultipart(Buffer.concat(chunks), type);
        next();
      } catch (error) {
        next(error);
      }
    });
    req.on('error', (error) => {
      if (!failed) {
        failed = true;
        next(error);
      }
    });
  };
}
