// The IGWN alert (JSON schema v1.0): its TypeScript shape and validation against schemas/igwn-alert-v1.0.schema.json.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { PACKAGE_ROOT } from '../config/index.js';

export const ALERT_SCHEMA_FILE = path.join(PACKAGE_ROOT, 'schemas', 'igwn-alert-v1.0.schema.json');

export const ALERT_TYPES = ['EARLYWARNING', 'PRELIMINARY', 'INITIAL', 'UPDATE', 'RETRACTION'] as const;
export type AlertType = (typeof ALERT_TYPES)[number];

export interface AlertEvent {
  time: string;
  far: number;
  significant: boolean;
  instruments: string[];
  group: string;
  pipeline: string;
  search: string;
  properties: Record<string, number>;
  classification: Record<string, number>;
  /** The sky map file, base64-encoded. */
  skymap: string;
}

export interface ExternalCoinc {
  gcn_notice_id: number;
  ivorn: string;
  observatory: string;
  search: string;
  time_difference: number;
  time_coincidence_far: number;
  time_sky_position_coincidence_far: number | null;
}

export interface IgwnAlert {
  superevent_id: string;
  alert_type: AlertType;
  time_created: string;
  event: AlertEvent | null;
  external_coinc: ExternalCoinc | null;
  urls: { gracedb: string };
}

/** The alert does not follow the schema; `problems` lists each violation as `path: message`. */
export class AlertValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`alert does not follow the IGWN alert schema v1.0: ${problems.join('; ')}`);
    this.name = 'AlertValidationError';
  }
}

let validator: ValidateFunction | undefined;

function compiled(): ValidateFunction {
  if (!validator) {
    // Loaded on first use: only processes that send alerts pay for ajv (about 30 ms of start-up for every CLI command).
    const require = createRequire(import.meta.url);
    const { Ajv } = require('ajv') as typeof import('ajv');
    const addFormats = require('ajv-formats') as typeof import('ajv-formats').default;
    const ajv = new Ajv({ allErrors: true, allowUnionTypes: true });
    addFormats(ajv);
    validator = ajv.compile(JSON.parse(readFileSync(ALERT_SCHEMA_FILE, 'utf8')) as object);
  }
  return validator;
}

function describe(error: ErrorObject): string {
  const where = error.instancePath || '(alert)';
  const detail = error.keyword === 'additionalProperties' ? ` "${String(error.params.additionalProperty)}"` : error.keyword === 'enum' ? ` (${(error.params.allowedValues as unknown[]).join(', ')})` : '';
  return `${where}: ${error.message ?? error.keyword}${detail}`;
}

/** Problems of an alert against the schema; empty when it is valid. */
export function alertProblems(alert: unknown): string[] {
  const validate = compiled();
  if (validate(alert)) return [];
  // oneOf/if branches repeat the same problem several times; one line each is enough.
  return [...new Set((validate.errors ?? []).filter((error) => error.keyword !== 'oneOf' && error.keyword !== 'if').map(describe))];
}

/** Returns the alert typed when it follows the schema, else throws AlertValidationError. */
export function validateAlert(alert: unknown): IgwnAlert {
  const problems = alertProblems(alert);
  if (problems.length) throw new AlertValidationError(problems);
  return alert as IgwnAlert;
}
