// A loopback HTTP server that accepts Sentry envelopes (POST /api/<project>/envelope/) and keeps what it received, for the Sentry tests.
import http from 'node:http';
import { gunzipSync, inflateSync } from 'node:zlib';

export interface EnvelopeItem {
  header: { type: string; [key: string]: unknown };
  payload: Record<string, unknown>;
}

export interface SentryEvent {
  event_id: string;
  level?: string;
  environment?: string;
  release?: string;
  message?: string | { formatted?: string };
  tags?: Record<string, string>;
  contexts?: Record<string, Record<string, unknown>>;
  user?: Record<string, unknown>;
  exception?: {
    values: {
      type: string;
      value: string;
      mechanism?: { type: string; handled?: boolean };
      stacktrace?: { frames: StackFrame[] };
    }[];
  };
  breadcrumbs?: { category?: string; message?: string; level?: string; data?: Record<string, unknown> }[];
  request?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface StackFrame {
  filename?: string;
  function?: string;
  module?: string;
  lineno?: number;
  in_app?: boolean;
}

/** A release-health session update (Sentry's `session` envelope item). */
export interface SessionUpdate {
  sid: string;
  status: 'ok' | 'exited' | 'crashed' | 'abnormal';
  errors: number;
  init: boolean;
  attrs?: { release?: string; environment?: string };
}

export interface FakeSentry {
  dsn: string;
  /** Every item of every envelope received, in order. */
  items: EnvelopeItem[];
  /** The error and message events among them. */
  events(): SentryEvent[];
  /** The release-health session updates among them, in order. */
  sessions(): SessionUpdate[];
  /** Raw bodies as received (decompressed), to look for secrets. */
  bodies: string[];
  stop(): Promise<void>;
}

/** Splits an envelope: a header line, then items (a header line, and a payload of `length` bytes or up to the next newline). */
export function parseEnvelope(body: Buffer): EnvelopeItem[] {
  const items: EnvelopeItem[] = [];
  let offset = body.indexOf(0x0a) + 1;
  if (offset <= 0) return items;
  while (offset < body.length) {
    const headerEnd = body.indexOf(0x0a, offset);
    const headerText = body
      .subarray(offset, headerEnd < 0 ? body.length : headerEnd)
      .toString('utf8')
      .trim();
    if (!headerText) break;
    const header = JSON.parse(headerText) as EnvelopeItem['header'];
    const start = headerEnd + 1;
    const length = typeof header.length === 'number' ? header.length : undefined;
    let end = length !== undefined ? start + length : body.indexOf(0x0a, start);
    if (end < 0) end = body.length;
    const raw = body.subarray(start, end).toString('utf8');
    let payload: Record<string, unknown> = {};
    try {
      payload = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      payload = { raw };
    }
    items.push({ header, payload });
    offset = end + 1;
  }
  return items;
}

export async function startFakeSentry(project = '4242'): Promise<FakeSentry> {
  const items: EnvelopeItem[] = [];
  const bodies: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      const encoding = req.headers['content-encoding'];
      if (encoding === 'gzip') body = gunzipSync(body);
      else if (encoding === 'deflate') body = inflateSync(body);
      if (req.method === 'POST' && req.url?.startsWith(`/api/${project}/envelope/`)) {
        bodies.push(body.toString('utf8'));
        items.push(...parseEnvelope(body));
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
      } else {
        res.writeHead(404).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    dsn: `http://0123456789abcdef0123456789abcdef@127.0.0.1:${port}/${project}`,
    items,
    bodies,
    events: () => items.filter((item) => item.header.type === 'event').map((item) => item.payload as SentryEvent),
    sessions: () => items.filter((item) => item.header.type === 'session').map((item) => item.payload as unknown as SessionUpdate),
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    },
  };
}
