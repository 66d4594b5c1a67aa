// GW domain settings (GraceDB, superevent windows, alert thresholds, mock events) with GWCelery's defaults.
import { ConfigError, parseBoolean, parseChoice, parseInteger, parseNumber } from './parse.js';

type Env = Record<string, string | undefined>;

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

export const DOMAIN_SETTINGS: Record<string, { default: string; help: string }> = {
  GRACEDB_URL: {
    default: '(embedded)',
    help: 'GraceDB API root, e.g. https://gracedb-playground.ligo.org/api/; unset: the embedded GraceDB in Redis',
  },
  GRACEDB_TOKEN: { default: '(none)', help: 'bearer token for GRACEDB_URL' },
  GRACEDB_USERNAME: { default: '(none)', help: 'basic-auth user for GRACEDB_URL (with GRACEDB_PASSWORD)' },
  GRACEDB_PASSWORD: { default: '(none)', help: 'basic-auth password for GRACEDB_URL' },
  GWQUEUE_SUPEREVENT_D_T_START: {
    default: 'gstlal=1,spiir=1,pycbc=1,mbta=1,default=1',
    help: "seconds an event's segment starts before its time, per pipeline",
  },
  GWQUEUE_SUPEREVENT_D_T_END: {
    default: 'gstlal=1,spiir=1,pycbc=1,mbta=1,default=1',
    help: "seconds an event's segment ends after its time, per pipeline",
  },
  GWQUEUE_SUPEREVENT_QUERY_D_T_START: { default: '100', help: 'seconds before an event in which superevents are looked for' },
  GWQUEUE_SUPEREVENT_QUERY_D_T_END: { default: '100', help: 'seconds after an event in which superevents are looked for' },
  GWQUEUE_SUPEREVENT_FAR_THRESHOLD: { default: '1/3600', help: 'events with a larger FAR (Hz) are not grouped into superevents' },
  GWQUEUE_PRELIMINARY_ALERT_FAR_THRESHOLD: {
    default: 'cbc=1/5184000,burst=1/31536000,test=1/2592000',
    help: 'FAR (Hz) per group at or below which (× trials factor) an event is publishable',
  },
  GWQUEUE_PRELIMINARY_ALERT_TRIALS_FACTOR: { default: 'cbc=5,burst=4', help: 'trials factor per group (the number of searches)' },
  GWQUEUE_EARLY_WARNING_ALERT_FAR_THRESHOLD: { default: '1/86400', help: 'FAR threshold (Hz) for EARLY_WARNING events' },
  GWQUEUE_EARLY_WARNING_ALERT_TRIALS_FACTOR: { default: '2', help: 'trials factor for EARLY_WARNING events' },
  GWQUEUE_EXPOSE_TO_PUBLIC: { default: 'false', help: 'mark alerts of publishable events as public in the outbox' },
  GWQUEUE_ONLY_ALERT_FOR_MDC: { default: 'false', help: 'send alerts for MDC events only' },
  GWQUEUE_JOINT_MDC_FREQ: { default: '2', help: 'every n-th MDC superevent gets a mock external GRB (0: never)' },
  GWQUEUE_MOCK_JOINT_DELAY: { default: '5', help: 'seconds between the mock event and its GRB in the mock joint event' },
  GWQUEUE_ALERT_OUTBOX_MAXLEN: { default: '10000', help: 'alerts kept in the outbox stream' },
  GWQUEUE_ALERT_SINK_FORMAT: {
    default: 'json',
    help: 'json or avro: the wire format of the alert sink; the outbox always keeps the JSON form, avro adds each alert as an Avro object container file (official IGWN .avsc schemas, sky map as bytes)',
  },
  GWQUEUE_EXTERNAL_SKYMAP_HOSTS: {
    default: 'heasarc.gsfc.nasa.gov',
    help: 'hosts the Download/Upload External Sky Map form may fetch from, comma-separated: `host` (any port), `host:port`, or `.example.org` (that domain and its subdomains); http(s) only, redirects checked too',
  },
  GWQUEUE_EXTERNAL_SKYMAP_MAX_BYTES: {
    default: '67108864',
    help: 'largest external sky map downloaded, in bytes (64 MiB; also after unpacking .gz)',
  },
  GWQUEUE_EXTERNAL_SKYMAP_TIMEOUT: { default: '60', help: 'seconds one external sky map download may take, redirects included' },
};

/** A number, or a fraction such as `1/3600` (how GWCelery writes its thresholds). */
function parseQuantity(name: string, text: string): number {
  const match = /^\s*([0-9.eE+-]+)\s*(?:\/\s*([0-9.eE+-]+)\s*)?$/.exec(text);
  const value = match ? Number(match[1]) / (match[2] === undefined ? 1 : Number(match[2])) : NaN;
  if (!Number.isFinite(value) || value < 0) throw new ConfigError(name, `"${text}" is not a number ≥ 0 (e.g. 2.5e-7 or 1/3600)`);
  return value;
}

function quantity(env: Env, name: string, fallback: string): number {
  const raw = env[name]?.trim();
  return parseQuantity(name, raw ? raw : fallback);
}

/** `name=value,name=value` into a table with lower-case names. */
function table(env: Env, name: string, fallback: string): NumberTable {
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
function hostList(env: Env, name: string, fallback: string): string[] {
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

function optionalText(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

export function loadDomainConfig(env: Env): DomainConfig {
  const gracedbUrl = optionalText(env, 'GRACEDB_URL');
  if (gracedbUrl !== undefined && !/^https?:\/\/[^\s/]+/.test(gracedbUrl)) {
    throw new ConfigError('GRACEDB_URL', 'must be an http:// or https:// URL such as https://gracedb-playground.ligo.org/api/');
  }
  const username = optionalText(env, 'GRACEDB_USERNAME');
  const password = optionalText(env, 'GRACEDB_PASSWORD');
  if ((username === undefined) !== (password === undefined)) {
    throw new ConfigError(
      username === undefined ? 'GRACEDB_USERNAME' : 'GRACEDB_PASSWORD',
      'GRACEDB_USERNAME and GRACEDB_PASSWORD go together',
    );
  }
  const windows = 'gstlal=1,spiir=1,pycbc=1,mbta=1,default=1';
  return {
    gracedbUrl,
    gracedbToken: optionalText(env, 'GRACEDB_TOKEN'),
    gracedbBasicAuth: username !== undefined && password !== undefined ? { username, password } : undefined,
    superevent: {
      dtStart: { default: 1, ...table(env, 'GWQUEUE_SUPEREVENT_D_T_START', windows) },
      dtEnd: { default: 1, ...table(env, 'GWQUEUE_SUPEREVENT_D_T_END', windows) },
      queryDtStart: parseNumber(env, 'GWQUEUE_SUPEREVENT_QUERY_D_T_START', 100, { min: 0 }),
      queryDtEnd: parseNumber(env, 'GWQUEUE_SUPEREVENT_QUERY_D_T_END', 100, { min: 0 }),
      farThreshold: quantity(env, 'GWQUEUE_SUPEREVENT_FAR_THRESHOLD', '1/3600'),
    },
    preliminaryAlertFarThreshold: table(
      env,
      'GWQUEUE_PRELIMINARY_ALERT_FAR_THRESHOLD',
      `cbc=1/${60 * DAY},burst=1/${365 * DAY},test=1/${30 * DAY}`,
    ),
    preliminaryAlertTrialsFactor: table(env, 'GWQUEUE_PRELIMINARY_ALERT_TRIALS_FACTOR', 'cbc=5,burst=4'),
    earlyWarningAlertFarThreshold: quantity(env, 'GWQUEUE_EARLY_WARNING_ALERT_FAR_THRESHOLD', `1/${DAY}`),
    earlyWarningAlertTrialsFactor: quantity(env, 'GWQUEUE_EARLY_WARNING_ALERT_TRIALS_FACTOR', '2'),
    exposeToPublic: parseBoolean(env, 'GWQUEUE_EXPOSE_TO_PUBLIC', false),
    onlyAlertForMdc: parseBoolean(env, 'GWQUEUE_ONLY_ALERT_FOR_MDC', false),
    jointMdcFreq: parseInteger(env, 'GWQUEUE_JOINT_MDC_FREQ', 2, { min: 0, max: 10_000 }),
    mockJointDelaySeconds: parseNumber(env, 'GWQUEUE_MOCK_JOINT_DELAY', 5, { min: 0, max: 3600 }),
    alertOutboxMaxLen: parseInteger(env, 'GWQUEUE_ALERT_OUTBOX_MAXLEN', 10_000, { min: 10, max: 10_000_000 }),
    alertSinkFormat: parseChoice(env, 'GWQUEUE_ALERT_SINK_FORMAT', ['json', 'avro'] as const, 'json'),
    externalSkymapHosts: hostList(env, 'GWQUEUE_EXTERNAL_SKYMAP_HOSTS', 'heasarc.gsfc.nasa.gov'),
    externalSkymapMaxBytes: parseInteger(env, 'GWQUEUE_EXTERNAL_SKYMAP_MAX_BYTES', 64 * 1_048_576, { min: 1024, max: 2 ** 31 }),
    externalSkymapTimeoutSeconds: parseNumber(env, 'GWQUEUE_EXTERNAL_SKYMAP_TIMEOUT', 60, { min: 0.1, max: 3600 }),
  };
}
