// What the web app is built from (createApp's dependencies), shared by the handlers, and the console's GraceDB.
import type { Redis } from 'ioredis';
import { gracedbApiUrl, type Config } from '../config/index.js';
import type { TaskClient } from '../queue/client.js';
import { bullPrefix } from '../redis/keys.js';
import { createGraceDb, type GraceDb } from '../gracedb/index.js';

export interface WebDeps {
  config: Config;
  client: TaskClient;
  gracedb: GraceDb;
  /** The address the server listens on (decides whether the development local user may submit). */
  listenHost?: string;
  /** GraceDB URL when a real one is used (shown on the console). */
  gracedbUrl?: string;
}

export interface WebContext extends WebDeps {
  redis: Redis;
  /** GraceDB shown on the console: its URL, or "embedded". */
  gracedbLabel: string;
}

/** GraceDB for typeahead: the REST client when GRACEDB_URL is set, else the embedded one in the same Redis. */
export function createConsoleGraceDb(config: Config, redis: Redis): { gracedb: GraceDb; url?: string } {
  const url = config.domain.gracedbUrl;
  return {
    gracedb: createGraceDb({
      url,
      token: config.domain.gracedbToken,
      redis,
      prefix: bullPrefix(config),
      embedded: { apiUrl: gracedbApiUrl(config) },
    }),
    url,
  };
}
