// `gwqueue gracedb`: the embedded GraceDB's API on its own port, at GraceDB's /api/ and the console's /gracedb/api/.
import type { Config } from '../../config/index.js';
import { buildWebApp } from '../app.js';
import { serveApp, type WebServer } from '../server.js';

/** `url` is the API root, e.g. http://127.0.0.1:5556/api/. */
export async function startGraceDbServer(
  config: Config,
  options: { port?: number; host?: string; signal?: AbortSignal } = {},
): Promise<WebServer> {
  const web = await serveApp(
    config,
    (deps) => buildWebApp(deps, { gracedbOnly: true }),
    { port: options.port ?? config.web.gracedbPort, host: options.host ?? config.web.host, what: 'the GraceDB API' },
    options.signal,
  );
  return { ...web, url: `${web.url}/api/` };
}
