// GW domain settings (GraceDB, superevent windows, alert thresholds, mock events) with GWCelery's defaults.
import { ConfigError } from './parse.js';
import { boolean, choice, custom, integer, number, type Reader, type Setting, type Env } from './setting.js';

/** Per-name numbers, e.g. a threshold per group (`cbc`, `burst`, `test`) or a window per pipeline. */
export type NumberTable = Record<string, number>;

export interface DomainConfig {
  /** GraceDB API root; unset: the embedded GraceDB kept in Redis. */
  gracedbUrl: string | undefined;
  gracedbToken: string | undefined;
  gracedbBasicAuth: { username: string; password: string } | undefined;
  superevent: {
    /** Seconds before an event's time that its segment starts, per pipeline (lower case); `default` for the rest. */
    dtStart: NumberTable;
    /** Seconds after an event's time that its segment ends, per pipeline (lower case); `default` for the rest. */
    dtEnd: NumberTable;
    /** Superevents whose t_0 lies within this many seconds of an event's time are candidates for grouping. */
    queryDtStart: number;
    queryDtEnd: number;
    /** Events with a larger FAR (Hz) are not grouped at all. */
    farThreshold: number;
  };
  /** FAR threshold (Hz) per group for a public alert, compared with FAR × trials factor. */
  preliminaryAlertFarThreshold: NumberTable;
  /** Trials factor per group (groups without one use 1). */
  preliminaryAlertTrialsFactor: NumberTable;
  earlyWarningAlertFarThreshold: number;
  earlyWarningAlertTrialsFactor: number;
  /** Mark alerts public in the outbox (GWCelery: really expose events meeting the threshold). */
  exposeToPublic: boolean;
  /** Send alerts for MDC events only (useful outside observing runs). */
  onlyAlertForMdc: boolean;
  /** Every n-th MDC superevent (by its letter suffix) gets a mock external GRB; 0 disables it. */
  jointMdcFreq: number;
  /** Seconds between the mock event and its GRB in the mock joint event chain. */
  mockJointDelaySeconds: number;
  /** Alerts kept in the outbox stream (approximate, XADD MAXLEN ~). */
  alertOutboxMaxLen: number;
  /** What the alert sink sends besides the outbox's JSON: `avro` adds the Avro container file (official .avsc). */
  alertSinkFormat: 'json' | 'avro';
  /** Hosts an external sky map may be downloaded from (`host`, `host:port`, `.domain`); empty: none. */
  externalSkymapHosts: string[];
  /** The largest external sky map downloaded (bytes, also after unpacking a .gz). */
  externalSkymapMaxBytes: number;
  /** How long one external sky map download may take, redirects included. */
  externalSkymapTimeoutSeconds: number;
}

const DAY = 86_400;

/** A number, or a fraction such as `1/3600` (how GWCelery writes its thresholds). */
function parseQuantity(name: string, text: string): number {
  const match = /^\s*([0-9.eE+-]+)\s*(?:\/\s*([0-9.eE+-]+)\s*)?$/.exec(text);
  const value = match ? Number(match[1]) / (match[2] === undefined ? 1 : Number(match[2])) : NaN;
  if (!Number.isFinite(value) || value < 0) throw new ConfigError(name, `"${text}" is not a number ≥ 0 (e.g. 2.5e-7 or 1/3600)`);
  return value;
}

/** A quantity setting: a number or a fraction, written in the docs as it may be set. */
function quantity(name: string, spec: { default: string; help: string; readBy: readonly Reader[] }): Setting<number> {
  return custom(name, {
    kind: 'number',
    shown: spec.default,
    literal: true,
    ...spec,
    read: (env) => parseQuantity(name, env[name]?.trim() || spec.default),
  });
}

/** `name=value,name=value` into a table with lower-case names. */
function table(name: string, spec: { default: string; help: string; readBy: readonly Reader[] }): Setting<NumberTable> {
  return custom(name, { kind: 'table', shown: spec.default, literal: true, ...spec, read: (env) => parseTable(env, name, spec.default) });
}

function parseTable(env: Env, name: string, fallback: string): NumberTable {
  const raw = env[name]?.trim() || fallback;
  const out: NumberTable = {};
  for (const entry of raw
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const match = /^([A-Za-z][\w.-]*)\s*=\s*(.+)$/.exec(entry);
    if (!match) throw new ConfigError(name, `"${entry}" is not name=value`);
    out[match[1].toLowerCase()] = parseQuantity(name, match[2]);
  }
  return out;
}

/** A comma-separated allow-list of host names (`host`, `host:port`, `.domain`), lower case; set but empty: none. */
function parseHostList(env: Env, name: string, fallback: string): string[] {
  const raw = env[name] ?? fallback;
  const hosts = raw
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter(Boolean);
  for (const host of hosts) {
    if (!/^\.?[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$|^\[[0-9a-f:.]+\](:\d{1,5})?$/.test(host))
      throw new ConfigError(name, `"${host}" is not a host name, host:port or .domain`);
  }
  return hosts;
}

/** Optional text: unset or blank is undefined. */
function optionalText(name: string, spec: { help: string; readBy: readonly Reader[] }): Setting<string | undefined> {
  return custom(name, {
    kind: 'text',
    shown: '(none)',
    ...spec,
    read: (env) => env[name]?.trim() || undefined,
  });
}

const GRACEDB: readonly Reader[] = ['worker', 'console'];
const WORKER: readonly Reader[] = ['worker'];
const windows = 'gstlal=1,spiir=1,pycbc=1,mbta=1,default=1';

/** The settings of this file, one declaration each (setting.ts). */
const S = {
  gracedbUrl: custom('GRACEDB_URL', {
    kind: 'url',
    shown: '(embedded)',
    help: 'GraceDB API root, e.g. https://gracedb-playground.ligo.org/api/; unset: the embedded GraceDB in Redis',
    readBy: GRACEDB,
    read: (env, name) => {
      const url = env[name]?.trim() || undefined;
      if (url !== undefined && !/^https?:\/\/[^\s/]+/.test(url)) {
        throw new ConfigError(name, 'must be an http:// or https:// URL such as https://gracedb-playground.ligo.org/api/');
      }
      return url;
    },
  }),
  gracedbToken: optionalText('GRACEDB_TOKEN', { help: 'bearer token for GRACEDB_URL', readBy: GRACEDB }),
  gracedbUsername: optionalText('GRACEDB_USERNAME', {
    help: 'basic-auth user for GRACEDB_URL (with GRACEDB_PASSWORD)',
    readBy: GRACEDB,
  }),
  gracedbPassword: optionalText('GRACEDB_PASSWORD', { help: 'basic-auth password for GRACEDB_URL', readBy: GRACEDB }),
  dtStart: table('GWQUEUE_SUPEREVENT_D_T_START', {
    default: windows,
    help: "seconds an event's segment starts before its time, per pipeline",
    readBy: WORKER,
  }),
  dtEnd: table('GWQUEUE_SUPEREVENT_D_T_END', {
    default: windows,
    help: "seconds an event's segment ends after its time, per pipeline",
    readBy: WORKER,
  }),
  queryDtStart: number('GWQUEUE_SUPEREVENT_QUERY_D_T_START', {
    default: 100,
    min: 0,
    help: 'seconds before an event in which superevents are looked for',
    readBy: WORKER,
  }),
  queryDtEnd: number('GWQUEUE_SUPEREVENT_QUERY_D_T_END', {
    default: 100,
    min: 0,
    help: 'seconds after an event in which superevents are looked for',
    readBy: WORKER,
  }),
  farThreshold: quantity('GWQUEUE_SUPEREVENT_FAR_THRESHOLD', {
    default: '1/3600',
    help: 'events with a larger FAR (Hz) are not grouped into superevents',
    readBy: WORKER,
  }),
  preliminaryAlertFarThreshold: table('GWQUEUE_PRELIMINARY_ALERT_FAR_THRESHOLD', {
    default: `cbc=1/${60 * DAY},burst=1/${365 * DAY},test=1/${30 * DAY}`,
    help: 'FAR (Hz) per group at or below which (× trials factor) an event is publishable',
    readBy: WORKER,
  }),
  preliminaryAlertTrialsFactor: table('GWQUEUE_PRELIMINARY_ALERT_TRIALS_FACTOR', {
    default: 'cbc=5,burst=4',
    help: 'trials factor per group (the number of searches)',
    readBy: WORKER,
  }),
  earlyWarningAlertFarThreshold: quantity('GWQUEUE_EARLY_WARNING_ALERT_FAR_THRESHOLD', {
    default: `1/${DAY}`,
    help: 'FAR threshold (Hz) for EARLY_WARNING events',
    readBy: WORKER,
  }),
  earlyWarningAlertTrialsFactor: quantity('GWQUEUE_EARLY_WARNING_ALERT_TRIALS_FACTOR', {
    default: '2',
    help: 'trials factor for EARLY_WARNING events',
    readBy: WORKER,
  }),
  exposeToPublic: boolean('GWQUEUE_EXPOSE_TO_PUBLIC', {
    default: false,
    help: 'mark alerts of publishable events as public in the outbox',
    readBy: WORKER,
  }),
  onlyAlertForMdc: boolean('GWQUEUE_ONLY_ALERT_FOR_MDC', { default: false, help: 'send alerts for MDC events only', readBy: WORKER }),
  jointMdcFreq: integer('GWQUEUE_JOINT_MDC_FREQ', {
    default: 2,
    min: 0,
    max: 10_000,
    help: 'every n-th MDC superevent gets a mock external GRB (0: never)',
    readBy: WORKER,
  }),
  mockJointDelay: number('GWQUEUE_MOCK_JOINT_DELAY', {
    default: 5,
    min: 0,
    max: 3600,
    help: 'seconds between the mock event and its GRB in the mock joint event',
    readBy: ['console', 'cli'],
  }),
  alertOutboxMaxLen: integer('GWQUEUE_ALERT_OUTBOX_MAXLEN', {
    default: 10_000,
    min: 10,
    max: 10_000_000,
    help: 'alerts kept in the outbox stream',
    readBy: WORKER,
  }),
  alertSinkFormat: choice('GWQUEUE_ALERT_SINK_FORMAT', {
    choices: ['json', 'avro'] as const,
    default: 'json',
    help: 'json or avro: the wire format of the alert sink; the outbox always keeps the JSON form, avro adds each alert as an Avro object container file (official IGWN .avsc schemas, sky map as bytes)',
    readBy: WORKER,
  }),
  externalSkymapHosts: custom('GWQUEUE_EXTERNAL_SKYMAP_HOSTS', {
    kind: 'list',
    shown: 'heasarc.gsfc.nasa.gov',
    literal: true,
    help: 'hosts the Download/Upload External Sky Map form may fetch from, comma-separated: `host` (any port), `host:port`, or `.example.org` (that domain and its subdomains); http(s) only, redirects checked too',
    readBy: GRACEDB,
    read: (env, name) => parseHostList(env, name, 'heasarc.gsfc.nasa.gov'),
  }),
  externalSkymapMaxBytes: integer('GWQUEUE_EXTERNAL_SKYMAP_MAX_BYTES', {
    default: 64 * 1_048_576,
    min: 1024,
    max: 2 ** 31,
    help: 'largest external sky map downloaded, in bytes (64 MiB; also after unpacking .gz)',
    readBy: WORKER,
  }),
  externalSkymapTimeout: number('GWQUEUE_EXTERNAL_SKYMAP_TIMEOUT', {
    default: 60,
    min: 0.1,
    max: 3600,
    help: 'seconds one external sky map download may take, redirects included',
    readBy: WORKER,
  }),
};

export const DOMAIN_SETTINGS: readonly Setting[] = Object.values(S);

export function loadDomainConfig(env: Env): DomainConfig {
  const read = <T>(setting: Setting<T>): T => setting.read(env, '');
  const username = read(S.gracedbUsername);
  const password = read(S.gracedbPassword);
  if ((username === undefined) !== (password === undefined)) {
    throw new ConfigError(
      username === undefined ? S.gracedbUsername.name : S.gracedbPassword.name,
      'GRACEDB_USERNAME and GRACEDB_PASSWORD go together',
    );
  }
  return {
    gracedbUrl: read(S.gracedbUrl),
    gracedbToken: read(S.gracedbToken),
    gracedbBasicAuth: username !== undefined && password !== undefined ? { username, password } : undefined,
    superevent: {
      dtStart: { default: 1, ...read(S.dtStart) },
      dtEnd: { default: 1, ...read(S.dtEnd) },
      queryDtStart: read(S.queryDtStart),
      queryDtEnd: read(S.queryDtEnd),
      farThreshold: read(S.farThreshold),
    },
    preliminaryAlertFarThreshold: read(S.preliminaryAlertFarThreshold),
    preliminaryAlertTrialsFactor: read(S.preliminaryAlertTrialsFactor),
    earlyWarningAlertFarThreshold: read(S.earlyWarningAlertFarThreshold),
    earlyWarningAlertTrialsFactor: read(S.earlyWarningAlertTrialsFactor),
    exposeToPublic: read(S.exposeToPublic),
    onlyAlertForMdc: read(S.onlyAlertForMdc),
    jointMdcFreq: read(S.jointMdcFreq),
    mockJointDelaySeconds: read(S.mockJointDelay),
    alertOutboxMaxLen: read(S.alertOutboxMaxLen),
    alertSinkFormat: read(S.alertSinkFormat),
    externalSkymapHosts: read(S.externalSkymapHosts),
    externalSkymapMaxBytes: read(S.externalSkymapMaxBytes),
    externalSkymapTimeoutSeconds: read(S.externalSkymapTimeout),
  };
}
