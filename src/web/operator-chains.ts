// The console's link to the operator chains (defined once in tasks/operator-chains.ts) and to GraceDB.
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import { bullPrefix } from '../redis/keys.js';
import { createGraceDb, type GraceDb } from '../gracedb/index.js';
import type { Canvas } from '../queue/canvas.js';
import { OPERATOR_CHAINS } from '../tasks/operator-chains.js';

export function buildOperatorCanvas(form: string, fields: Record<string, string>, user: string): Canvas {
  const entry = (OPERATOR_CHAINS as unknown as Record<string, { schema: { parse(input: unknown): unknown }; build(fields: unknown, context: { user: string }): Canvas }>)[form];
  if (!entry) throw new Error(`no operator chain for form ${form}`);
  // The chain's own schema turns the already-validated strings into its typed fields (checkboxes → booleans).
  return entry.build(entry.schema.parse(fields), { user });
}

/** GraceDB for typeahead: the REST client when GRACEDB_URL is set, else the embedded one in the same Redis. */
export function createConsoleGraceDb(config: Config, redis: Redis): { gracedb: GraceDb; url?: string } {
  const url = config.domain.gracedbUrl;
  return { gracedb: createGraceDb({ url, token: config.domain.gracedbToken, redis, prefix: bullPrefix(config) }), url };
}
