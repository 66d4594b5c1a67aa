// The IGWN alert v1.0: its TypeScript shape and validation against the official JSON Schema in schemas/ (see schemas/README.md).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { PACKAGE_ROOT } from '../config/index.js';

/** The official JSON Schema (draft 2020-12) of igwn.alerts.v1_0, as published in the LVK Public Alerts User Guide. */
export const ALERT_SCHEMA_FILE = path.join(PACKAGE_ROOT, 'schemas', 'igwn.alerts.v1_0.Alert.schema.json');

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
  /** Burst events only (seconds); null for CBC. Required by the Avro schema, so always present. */
  duration: number | null;
  /** Burst events only (Hz); null for CBC. */
  central_frequency: number | null;
  /** The multi-order FITS sky map, base64-encoded (bytes in the Avro form). */
  skymap: string | null;
}

export interface ExternalCoinc {
  gcn_notice_id: number;
  ivorn: string;
  observatory: string;
  search: string;
  time_difference: number;
  time_coincidence_far: number | null;
  time_sky_position_coincidence_far: number | null;
  /** The GW and external sky maps combined (multi-order FITS, base64), or null when there is none. */
  combined_skymap: string | null;
}

export interface IgwnAlert {
  superevent_id: string;
  alert_type: AlertType;
  time_created: string;
  event: AlertEvent | null;
  external_coinc: ExternalCoinc | null;
  urls: Record<string, string>;
}

/** The alert does not follow the schema; `problems` lists each violation as `path: message`. */
export class AlertValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`alert does not follow the official IGWN alert schema v1.0: ${problems.join('; ')}`);
    this.name = 'AlertValidationError';
  }
}

let validator: ValidateFunction | undefined;

function compiled(): ValidateFunction {
  if (!validator) {
    // Loaded on first use: only processes that send alerts pay for ajv (about 30 ms of start-up for every CLI command).
    const require = createRequire(import.meta.url);
    // The official file is draft 2020-12; contentEncoding/contentMediaType are annotations there, not checks.
    const { Ajv2020 } = require('ajv/dist/2020') as typeof import('ajv/dist/2020.js');
    const addFormats = require('ajv-formats') as typeof import('ajv-formats').default;
    const ajv = new Ajv2020({ allErrors: true, allowUnionTypes: true });
    addFormats(ajv);
    validator = ajv.compile(JSON.parse(readFileSync(ALERT_SCHEMA_FILE, 'utf8')) as object);
  }
  return validator;
}

function describe(error: ErrorObject): string {
  const where = error.instancePath || '(alert)';
  const detail =
    error.keyword === 'additionalProperties'
      ? ` "${String(error.params.additionalProperty)}"`
      : error.keyword === 'enum'
        ? ` (${(error.params.allowedValues as unknown[]).join(', ')})`
        : '';
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
