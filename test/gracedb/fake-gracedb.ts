// A small fake GraceDB REST API on a real node:http server, recording every request, for the REST client tests.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach } from 'node:test';
import { GraceDbRestClient, type RestClientOptions } from '../../src/gracedb/rest-client.js';

export interface RecordedRequest {
  method: string;
  /** Path below the API root, e.g. `events/G1234` or `superevents/S190425z/`. */
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  json?: unknown;
  form?: FormData;
}

export interface FakeReply {
  status?: number;
  json?: unknown;
  body?: string | Buffer;
  contentType?: string;
}

/** `'drop'` destroys the connection without an answer, as a crashing proxy would. */
export type FakeAnswer = FakeReply | 'drop';
export type FakeHandler = (request: RecordedRequest, callNumber: number) => FakeAnswer | Promise<FakeAnswer>;

interface Route {
  method: string;
  path: string;
  handler: FakeHandler;
  calls: number;
}

export class FakeGraceDb {
  readonly requests: RecordedRequest[] = [];
  private routes: Route[] = [];

  private constructor(private readonly server: http.Server) {}

  static async start(): Promise<FakeGraceDb> {
    const server = http.createServer();
    const fake = new FakeGraceDb(server);
    server.on('request', (req, res) => void fake.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The API root to give the client. */
  get apiUrl(): string {
    return `${this.origin}/api/`;
  }

  /** Answers METHOD path (exact, below /api/) with a fixed reply or a handler; later routes win. */
  on(method: string, path: string, answer: FakeAnswer | FakeHandler): this {
    const handler: FakeHandler = typeof answer === 'function' ? answer : () => answer;
    this.routes.unshift({ method, path, handler, calls: 0 });
    return this;
  }

  requestsTo(method: string, path: string): RecordedRequest[] {
    return this.requests.filter((request) => request.method === method && request.path === path);
  }

  reset(): void {
    this.routes = [];
    this.requests.length = 0;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', this.origin);
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: decodeURIComponent(url.pathname.replace(/^\/api\//, '')),
      query: url.searchParams,
      headers: req.headers,
      body,
    };
    const contentType = req.headers['content-type'] ?? '';
    if (contentType.startsWith('application/json')) recorded.json = JSON.parse(body.toString('utf8'));
    if (contentType.startsWith('multipart/form-data')) {
      // The platform's own multipart parser, so the test checks what a standard server would read.
      const request = new Request(url, { method: 'POST', headers: { 'content-type': contentType }, body, duplex: 'half' } as RequestInit);
      recorded.form = await request.formData();
    }
    this.requests.push(recorded);
    const route = this.routes.find((candidate) => candidate.method === recorded.method && candidate.path === recorded.path);
    let answer: FakeAnswer = { status: 404, json: { detail: 'Not found.' } };
    if (route) {
      route.calls += 1;
      answer = await route.handler(recorded, route.calls);
    }
    if (answer === 'drop') {
      req.socket.destroy();
      return;
    }
    const payload = answer.json !== undefined ? JSON.stringify(answer.json) : (answer.body ?? '');
    const type = answer.contentType ?? (answer.json !== undefined ? 'application/json' : 'text/plain');
    res.writeHead(answer.status ?? 200, { 'content-type': type });
    res.end(payload);
  }
}

/**
 * The REST client tests' hooks, in the calling describe block: one fake for the block, emptied (no routes, no
 * requests) before each test, which gets a new client to it through `use`.
 */
export function fakeGraceDbForEachTest(
  clientOptions: Omit<RestClientOptions, 'url'>,
  use: (fake: FakeGraceDb, client: GraceDbRestClient) => void,
): void {
  let fake: FakeGraceDb | undefined;
  before(async () => {
    fake = await FakeGraceDb.start();
  });
  after(async () => {
    await fake?.stop();
  });
  beforeEach(() => {
    fake!.reset();
    use(fake!, new GraceDbRestClient({ url: fake!.apiUrl, ...clientOptions }));
  });
}
