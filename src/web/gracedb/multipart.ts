// The multipart/form-data bodies GraceDB's clients send (an event file, a log's upload), read by busboy within a size bound.
import busboy from 'busboy';
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

const parseError = (why: string) => new GraceDbBadRequestError(`Multipart form parse error - ${why}`);

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
    let parser: busboy.Busboy;
    try {
      // preservePath: a file name is GraceDB's to refuse when it holds a path, not ours to cut down to its last part.
      parser = busboy({ headers: req.headers, preservePath: true, defParamCharset: 'utf8', limits: { fieldSize: limit, fileSize: limit } });
    } catch (error) {
      req.resume();
      return next(parseError((error as Error).message.replace(/^Multipart: /, '').toLowerCase()));
    }
    const body: MultipartBody = { fields: {}, files: {} };
    let size = 0;
    let finished = false;
    const finish = (error?: unknown) => {
      if (finished) return;
      finished = true;
      if (error) {
        req.unpipe(parser);
        req.resume();
      }
      next(error);
    };
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) finish(new BodyTooLargeError(limit));
    });
    parser.on('field', (name, value) => (body.fields[name] ??= []).push(value));
    parser.on('file', (name, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => (body.files[name] = { filename: info.filename ?? '', contents: Buffer.concat(chunks) }));
    });
    parser.on('close', () => {
      req.multipart = body;
      finish();
    });
    parser.on('error', (error: Error) => finish(parseError(error.message.replace(/^Multipart: /, '').toLowerCase())));
    req.on('error', (error) => finish(error));
    req.pipe(parser);
  };
}
