// The GraceDb interface that tasks use, and its records in the JSON shape of GraceDB's REST API.

/** Superevent category as callers name it (and as `category:` queries spell it). */
export type SupereventCategory = 'production' | 'test' | 'mdc';

/** Superevent category as GraceDB shows it in records. */
export type SupereventCategoryDisplay = 'Production' | 'Test' | 'MDC';

export const CATEGORY_DISPLAY: Record<SupereventCategory, SupereventCategoryDisplay> = {
  production: 'Production',
  test: 'Test',
  mdc: 'MDC',
};

/** Summary of a compact-binary coincidence, as GraceDB extracts it from a coinc.xml upload. */
export interface CoincInspiral {
  ifos?: string;
  end_time?: number;
  end_time_ns?: number;
  mass?: number;
  mchirp?: number;
  minimum_duration?: number | null;
  snr?: number;
  false_alarm_rate?: number | null;
  combined_far?: number;
  [column: string]: string | number | null | undefined;
}

/** One detector's trigger of a compact-binary coincidence (a `sngl_inspiral` row). */
export interface SingleInspiral {
  ifo?: string;
  snr?: number;
  end_time?: number;
  end_time_ns?: number;
  mass1?: number;
  mass2?: number;
  spin1z?: number;
  spin2z?: number;
  chisq?: number;
  [column: string]: string | number | null | undefined;
}

/** Localisation of an external (e.g. GRB) trigger. */
export interface GrbAttributes {
  ra?: number | null;
  dec?: number | null;
  error_radius?: number | null;
  [field: string]: string | number | null | undefined;
}

export interface ExtraAttributes {
  CoincInspiral?: CoincInspiral;
  SingleInspiral?: SingleInspiral[];
  GRB?: GrbAttributes;
  [kind: string]: unknown;
}

export interface EventRecord {
  graceid: string;
  group: string;
  pipeline: string;
  search: string | null;
  gpstime: number | null;
  far: number | null;
  /** True when GraceDB shows a floor instead of the real FAR (to external users); never for the embedded one. */
  far_is_upper_limit: boolean;
  /** Number of triggers in the coincidence (a CBC coinc: its detectors), null when the upload does not say. */
  nevents: number | null;
  likelihood: number | null;
  instruments: string;
  offline: boolean;
  labels: string[];
  superevent: string | null;
  /** `YYYY-MM-DD HH:MM:SS UTC`. */
  created: string;
  submitter: string;
  extra_attributes: ExtraAttributes;
  links: Record<string, string>;
}

export interface SupereventRecord {
  superevent_id: string;
  gw_id: string | null;
  category: SupereventCategoryDisplay;
  /** `YYYY-MM-DD HH:MM:SS UTC`. */
  created: string;
  submitter: string;
  preferred_event: string;
  t_start: number;
  t_0: number;
  t_end: number;
  gw_events: string[];
  em_events: string[];
  far: number | null;
  /** graceid of the external event of a RAVEN coincidence, when there is one. */
  em_type: string | null;
  /** RAVEN's temporal and spatio-temporal coincidence FARs (Hz), set with em_type. */
  time_coinc_far: number | null;
  space_coinc_far: number | null;
  labels: string[];
  links: Record<string, string>;
  /** The preferred event's record, which GraceDB embeds so one request gives both. */
  preferred_event_data?: EventRecord;
  /** Pipeline name → that pipeline's preferred event among the members (the preferred event is its pipeline's). */
  pipeline_preferred_events: Record<string, EventRecord>;
}

/** One entry of a superevent's pipeline-preferred event list, as GraceDB's list and add answer. */
export interface PipelinePreferredEventEntry {
  self: string;
  graceid: string;
}

export interface LogRecord {
  N: number;
  comment: string;
  issuer: string;
  /** `YYYY-MM-DD HH:MM:SS UTC`. */
  created: string;
  /** '' when the entry carries no file, as GraceDB answers. */
  filename: string;
  file_version: number | null;
  tag_names: string[];
  /** This entry's URL, its tag list's URL, and its file's URL (`name,version`) or null. */
  self: string;
  tags: string;
  file: string | null;
}

export interface SearchOptions {
  /** At most this many results in all (GraceDB's page size is used to fetch them). Default: all. */
  count?: number;
  /** Skip this many results first. */
  start?: number;
  /** A field name, `-` first for descending: e.g. `-created` (the default), `t_0`, `gpstime`. */
  sort?: string;
}

export interface CreateEventInput {
  group: string;
  pipeline: string;
  search?: string;
  offline?: boolean;
  labels?: string[];
  /** Name of the uploaded event file, e.g. `coinc.xml`. */
  filename: string;
  filecontents: Buffer | string;
}

export interface CreateSupereventInput {
  t_start: number;
  t_0: number;
  t_end: number;
  preferred_event: string;
  /** Default `production`. */
  category?: SupereventCategory;
  labels?: string[];
  /** Further events to add besides the preferred one. */
  events?: string[];
}

/** The fields GraceDB lets a superevent's PATCH change (its SupereventUpdateSerializer's). */
export interface SupereventUpdate {
  t_start?: number;
  t_0?: number;
  t_end?: number;
  preferred_event?: string;
  /** The external event (E…) of a RAVEN coincidence. */
  em_type?: string;
  time_coinc_far?: number;
  space_coinc_far?: number;
}

export interface WriteLogOptions {
  /** Attach a file under this name; GraceDB keeps every upload as a new version `name,N`. */
  filename?: string;
  filecontents?: Buffer | string;
  tags?: string[];
}

/**
 * GraceDB as the tasks see it. Object IDs are event graceids (`G1234`) or superevent IDs (`S190425z`);
 * methods taking an `objectId` dispatch on its form. Errors are those of ./errors.js.
 */
export interface GraceDb {
  getEvent(graceid: string): Promise<EventRecord>;
  /** Every matching event (all pages), newest first unless `sort` says otherwise. */
  searchEvents(query: string, options?: SearchOptions): Promise<EventRecord[]>;
  createEvent(input: CreateEventInput): Promise<EventRecord>;
  addEventToSuperevent(supereventId: string, graceid: string): Promise<void>;

  getSuperevent(supereventId: string): Promise<SupereventRecord>;
  searchSuperevents(query: string, options?: SearchOptions): Promise<SupereventRecord[]>;
  createSuperevent(input: CreateSupereventInput): Promise<SupereventRecord>;
  /** Changing nothing is not an error: the superevent is returned as it is. */
  updateSuperevent(supereventId: string, update: SupereventUpdate): Promise<SupereventRecord>;
  /** `superevents/S/pipeline_preferred_events/`: one entry per pipeline. */
  getPipelinePreferredEvents(supereventId: string): Promise<PipelinePreferredEventEntry[]>;
  /**
   * Makes the event its pipeline's preferred event in the superevent (joining it when it is not a member yet).
   * Refused (GraceDbBadRequestError, GraceDB's words) when it already is, when its pipeline is the preferred event's,
   * or when it belongs to another superevent.
   */
  addPipelinePreferredEvent(supereventId: string, graceid: string): Promise<PipelinePreferredEventEntry>;

  /** Applying a label that is already there is not an error. */
  createLabel(label: string, objectId: string): Promise<void>;
  /** Throws GraceDbNotFoundError when the label is not applied. */
  removeLabel(label: string, objectId: string): Promise<void>;

  getLogs(objectId: string): Promise<LogRecord[]>;
  writeLog(objectId: string, comment: string, options?: WriteLogOptions): Promise<LogRecord>;

  /** `filename` is `name` (latest version) or `name,version`. */
  download(filename: string, objectId: string): Promise<Buffer>;
  /** Map of file names (each `name` and each `name,version`) to their URLs, as GraceDB's file list. */
  listFiles(objectId: string): Promise<Record<string, string>>;

  /** The VOEvents recorded on an event or superevent, oldest first (N = 1, 2, …). */
  getVoevents(objectId: string): Promise<VoeventRecord[]>;
  /** Records a VOEvent: GraceDB numbers it and writes its VOEvent 2.0 file `{id}-{N}-{Type}.xml`. */
  createVoevent(objectId: string, input: VoeventInput): Promise<VoeventRecord>;

  /** A sign-off on a superevent (an advocate's ADV, an instrument's OP): GraceDB applies its label (ADVOK, ADVNO, H1OK…). */
  signoff(supereventId: string, input: SignoffInput): Promise<SignoffRecord>;
  /** Makes a superevent visible to the public (GraceDB's `permissions/modify/` with `expose`); exposed already: no change. */
  expose(supereventId: string): Promise<void>;
}

/** A sign-off request, as GraceDB's API takes it. */
export interface SignoffInput {
  signoff_type: string;
  instrument?: string;
  status: string;
  comment?: string;
}

export interface SignoffRecord {
  self: string;
  signoff_type: 'OP' | 'ADV';
  instrument: string;
  status: 'OK' | 'NO';
  comment: string;
  submitter: string;
  created: string;
}

/** GraceDB's VOEvent type codes and the names their files carry (`S190425z-1-Preliminary.xml`). */
export const VOEVENT_TYPES = {
  EW: 'EarlyWarning',
  PR: 'Preliminary',
  IN: 'Initial',
  UP: 'Update',
  RE: 'Retraction',
} as const;
export type VoeventType = keyof typeof VOEVENT_TYPES;

/** The optional fields of a VOEvent request, as GraceDB's VOEvent serializer names them in its answer. */
export interface VoeventInput {
  voevent_type: string;
  internal?: boolean;
  open_alert?: boolean;
  hardware_inj?: boolean;
  skymap_type?: string | null;
  skymap_filename?: string | null;
  coinc_comment?: boolean;
  prob_has_ns?: number | null;
  prob_has_remnant?: number | null;
  prob_bns?: number | null;
  prob_nsbh?: number | null;
  prob_bbh?: number | null;
  prob_terrestrial?: number | null;
  prob_mass_gap?: number | null;
  /** The alert's significance (its Significant parameter); not kept in the record, as GraceDB's answer has no such field. */
  significant?: boolean;
}

export interface VoeventRecord extends Required<Omit<VoeventInput, 'voevent_type' | 'significant'>> {
  self: string;
  N: number;
  voevent_type: VoeventType;
  ivorn: string;
  filename: string;
  file_version: number;
  issuer: string;
  created: string;
  links: { file: string };
}
