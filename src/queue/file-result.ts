// Results that are files (what gracedb.download returns, `{ base64, filename }`): their name, content type and text, shared
// by the task page, /api/tasks/<id>, `gwqueue result` and the shell, so that none of them shows an operator raw base64.
import path from 'node:path';

/** A file result as stored: the bytes as base64, and the file's name when the task knew it (older results: none). */
export interface FileResult {
  base64: string;
  filename?: string;
}

/** How a file result is shown: `text` only when the bytes are text (UTF-8, no control characters but tab and newlines). */
export interface FileSummary {
  name: string;
  contentType: string;
  size: number;
  text?: string;
}

/** Text files longer than this are offered for download but not put inline into a JSON answer or a page. */
export const MAX_INLINE_TEXT = 1024 * 1024;

// Content types by extension for the files GraceDB holds; never text/html (a result is served as a download, but a
// browser must not be given a reason to render an uploaded file as a page).
const TYPES: Record<string, string> = {
  '.xml': 'application/xml',
  '.json': 'application/json',
  '.txt': 'text/plain',
  '.log': 'text/plain',
  '.ini': 'text/plain',
  '.csv': 'text/csv',
  '.fits': 'application/fits',
  '.fit': 'application/fits',
  '.gz': 'application/gzip',
  '.png': 'image/png',
  '.pdf': 'application/pdf',
  '.avro': 'application/avro',
  '.hdf5': 'application/x-hdf5',
  '.h5': 'application/x-hdf5',
};

export function isFileResult(value: unknown): value is FileResult {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  return (
    typeof record.base64 === 'string' &&
    keys.every((key) => key === 'base64' || key === 'filename') &&
    (record.filename === undefined || typeof record.filename === 'string')
  );
}

/** A GraceDB file name as a plain file name: no version suffix (`coinc.xml,1`), no folders, no control characters. */
export function plainFileName(name: string): string {
  const base = path.posix.basename(name.replace(/\\/g, '/')).replace(/,\d+$/, '');
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\u0000-\u001f\u007f-\u009f"]/g, '').trim();
  return clean && clean !== '.' && clean !== '..' ? clean.slice(0, 255) : '';
}

/** UTF-8 text without NUL, escape or other control characters (tab, newline, carriage return and form feed are text). */
export function isText(bytes: Buffer): boolean {
  if (!Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes)) return false;
  // eslint-disable-next-line no-control-regex
  return !/[\u0000-\u0008\u000b\u000e-\u001f\u007f]/.test(bytes.toString('utf8'));
}

export function contentTypeOf(name: string, text: boolean): string {
  const lower = name.toLowerCase();
  const type = TYPES[lower.endsWith('.fits.gz') ? '.gz' : path.posix.extname(lower)] ?? (text ? 'text/plain' : 'application/octet-stream');
  return text && (type.startsWith('text/') || type === 'application/xml' || type === 'application/json') ? `${type}; charset=utf-8` : type;
}

/** The bytes of a file result and how to show them; `taskId` names a file whose task did not (`task-<id>.txt` / `.bin`). */
export function describeFileResult(result: FileResult, taskId: string): { bytes: Buffer; file: FileSummary } {
  const bytes = Buffer.from(result.base64, 'base64');
  const text = isText(bytes);
  const name = plainFileName(result.filename ?? '') || `task-${taskId}${text ? '.txt' : '.bin'}`;
  const file: FileSummary = { name, contentType: contentTypeOf(name, text), size: bytes.length };
  if (text && bytes.length <= MAX_INLINE_TEXT) file.text = bytes.toString('utf8');
  return { bytes, file };
}
