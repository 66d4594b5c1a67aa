// The Avro form of an IGWN alert: the official .avsc files in schemas/, written as an Avro object container file (avsc).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Schema, Type } from 'avsc';
import { PACKAGE_ROOT } from '../config/index.js';
import { AlertValidationError, validateAlert, type IgwnAlert } from './schema.js';

/** The official Avro schemas, named types before the record that uses them (Alert last). */
export const AVRO_SCHEMA_FILES = ['AlertType', 'EventInfo', 'ExternalCoincInfo', 'Alert'].map((name) =>
  path.join(PACKAGE_ROOT, 'schemas', `igwn.alerts.v1_0.${name}.avsc`),
);

type Avsc = typeof import('avsc');

interface Codec {
  avro: Avsc;
  alert: Type;
  header: Type;
  block: Type;
}

let codec: Codec | undefined;

/** Loaded on first use, as ajv is: only a process that encodes Avro pays for avsc. */
function loaded(): Codec {
  if (!codec) {
    const require = createRequire(import.meta.url);
    const avro = require('avsc') as Avsc;
    // One registry, so that Alert's references (igwn.alerts.v1_0.EventInfo, …) resolve to the files parsed before it.
    const registry: Record<string, Type> = {};
    let alert: Type | undefined;
    for (const file of AVRO_SCHEMA_FILES) alert = avro.Type.forSchema(JSON.parse(readFileSync(file, 'utf8')) as Schema, { registry });
    // The object container file layout of the Avro specification (what fastavro.writer and hop's AvroBlob write).
    const header = avro.Type.forSchema({
      type: 'record',
      name: 'org.apache.avro.file.Header',
      fields: [
        { name: 'magic', type: { type: 'fixed', name: 'Magic', size: 4 } },
        { name: 'meta', type: { type: 'map', values: 'bytes' } },
        { name: 'sync', type: { type: 'fixed', name: 'Sync', size: 16 } },
      ],
    });
    const block = avro.Type.forSchema({
      type: 'record',
      name: 'org.apache.avro.file.Block',
      fields: [
        { name: 'count', type: 'long' },
        { name: 'data', type: 'bytes' },
        { name: 'sync', type: { type: 'fixed', name: 'Sync', size: 16 } },
      ],
    });
    codec = { avro, alert: alert!, header, block };
  }
  return codec;
}

/** The official Avro type `igwn.alerts.v1_0.Alert`. */
export function alertAvroType(): Type {
  return loaded().alert;
}

function bytesOf(base64: string | null): Buffer | null {
  return base64 === null ? null : Buffer.from(base64, 'base64');
}

/** The alert as the Avro record: the same fields, the sky maps decoded from base64 into bytes. */
export function toAvroRecord(alert: IgwnAlert): Record<string, unknown> {
  return {
    ...alert,
    event: alert.event && { ...alert.event, skymap: bytesOf(alert.event.skymap) },
    external_coinc: alert.external_coinc && { ...alert.external_coinc, combined_skymap: bytesOf(alert.external_coinc.combined_skymap) },
  };
}

/** Problems of an alert against the Avro schema (`path: expected type`); empty when a strict encoder accepts it. */
export function alertAvroProblems(alert: IgwnAlert): string[] {
  const problems: string[] = [];
  alertAvroType().isValid(toAvroRecord(alert), {
    errorHook: (pathParts, value, type) => {
      const shown = value === undefined ? 'missing' : JSON.stringify(Buffer.isBuffer(value) ? '<bytes>' : value)?.slice(0, 60);
      problems.push(`/${pathParts.join('/')}: must be Avro ${String(type.typeName)} (is ${shown})`);
    },
  });
  return problems;
}

/**
 * The alert as an Avro object container file with one record (schema in its header, no compression), as SCiMMA/GCN
 * Kafka receivers and the official example `.avro` files have it. Checked against the JSON Schema and the Avro schema
 * first: throws AlertValidationError rather than encode an alert the official schemas reject.
 */
export function encodeAlertAvro(alert: IgwnAlert): Buffer {
  const valid = validateAlert(alert);
  const problems = alertAvroProblems(valid);
  if (problems.length) throw new AlertValidationError(problems);
  const { alert: type, header, block } = loaded();
  const sync = randomBytes(16);
  return Buffer.concat([
    header.toBuffer({
      magic: Buffer.from('Obj\x01', 'latin1'),
      meta: { 'avro.schema': Buffer.from(JSON.stringify(type.schema())), 'avro.codec': Buffer.from('null') },
      sync,
    }),
    block.toBuffer({ count: 1, data: type.toBuffer(toAvroRecord(valid)), sync }),
  ]);
}

/** Every alert in an Avro object container file (uncompressed), read with the schema in its header, sky maps back to base64. */
export function decodeAlertsAvro(file: Buffer): IgwnAlert[] {
  const { avro, header, block } = loaded();
  const head = header.decode(file, 0) as { value: { magic: Buffer; meta: Record<string, Buffer>; sync: Buffer }; offset: number };
  if (head.offset < 0 || head.value.magic.toString('latin1') !== 'Obj\x01') throw new Error('not an Avro object container file');
  const codecName = head.value.meta['avro.codec']?.toString() ?? 'null';
  if (codecName !== 'null') throw new Error(`Avro codec ${codecName} is not supported (only null)`);
  // Read with the writer's schema, as container-file readers do: the official examples were written with an inferred
  // schema (records auto_record0/1, alert_type a string) that Avro's resolution rules cannot map onto the named types.
  const writer = avro.Type.forSchema(JSON.parse(head.value.meta['avro.schema'].toString()) as Schema);
  const alerts: IgwnAlert[] = [];
  for (let offset = head.offset; offset < file.length;) {
    const next = block.decode(file, offset) as { value: { count: number; data: Buffer; sync: Buffer }; offset: number };
    if (next.offset < 0 || !next.value.sync.equals(head.value.sync)) throw new Error('truncated or corrupt Avro block');
    for (let position = 0, index = 0; index < next.value.count; index += 1) {
      const record = writer.decode(next.value.data, position) as { value: Record<string, unknown>; offset: number };
      alerts.push(fromAvroRecord(record.value));
      position = record.offset;
    }
    offset = next.offset;
  }
  return alerts;
}

/** An Avro record back into the JSON form (sky maps base64). */
export function fromAvroRecord(record: Record<string, unknown>): IgwnAlert {
  const base64 = (value: unknown) => (Buffer.isBuffer(value) ? value.toString('base64') : null);
  const {
    event,
    external_coinc: coinc,
    ...rest
  } = record as { event: Record<string, unknown> | null; external_coinc: Record<string, unknown> | null };
  return {
    ...rest,
    event: event && { ...event, skymap: base64(event.skymap) },
    external_coinc: coinc && { ...coinc, combined_skymap: base64(coinc.combined_skymap) },
  } as unknown as IgwnAlert;
}
