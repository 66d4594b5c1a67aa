// Records as GraceDB's REST API answers them (an internal user's view), written from its serializers: what the
// embedded GraceDB's records are compared with. Values are made up; the keys, types and formats are GraceDB's.

export const EVENT_SAMPLE = {
  submitter: 'gstlal-online@ligo.org',
  created: '2024-05-01 12:34:56 UTC',
  group: 'CBC',
  graceid: 'G424242',
  pipeline: 'gstlal',
  gpstime: 1398600000.123456,
  instruments: 'H1,L1',
  nevents: 2,
  offline: false,
  search: 'AllSky',
  far: 3.2e-10,
  far_is_upper_limit: false,
  likelihood: 42.5,
  labels: ['EMBRIGHT_READY', 'PASTRO_READY', 'SKYMAP_READY'],
  extra_attributes: {
    CoincInspiral: { ifos: 'H1,L1', end_time: 1398600000, end_time_ns: 123456000, snr: 12.1, combined_far: 3.2e-10 },
    SingleInspiral: [{ ifo: 'H1' }, { ifo: 'L1' }],
  },
  superevent: 'S240501ab',
  links: {
    neighbors: 'https://gracedb.example/api/events/G424242/neighbors/',
    log: 'https://gracedb.example/api/events/G424242/log/',
    emobservations: 'https://gracedb.example/api/events/G424242/emobservation/',
    files: 'https://gracedb.example/api/events/G424242/files/',
    labels: 'https://gracedb.example/api/events/G424242/labels/',
    self: 'https://gracedb.example/api/events/G424242',
    tags: 'https://gracedb.example/api/events/G424242/tag/',
  },
};

/**
 * What GraceDB sends that the embedded GraceDB does not keep: superevent_neighbours (the superevents near an event's
 * time, computed per request by GraceDB).
 */
export const EVENT_KEYS_NOT_KEPT = ['superevent_neighbours'];

export const SUPEREVENT_SAMPLE = {
  superevent_id: 'S240501ab',
  gw_id: null,
  category: 'Production',
  created: '2024-05-01 12:35:01 UTC',
  submitter: 'emfollow',
  preferred_event: 'G424242',
  em_type: 'E424250',
  t_start: 1398599999.12,
  t_0: 1398600000.123456,
  t_end: 1398600001.12,
  gw_events: ['G424242', 'G424243'],
  em_events: ['E424250'],
  far: 3.2e-10,
  time_coinc_far: 1.1e-12,
  space_coinc_far: 4.5e-14,
  labels: ['EM_READY', 'ADVREQ'],
  links: {
    events: 'https://gracedb.example/api/superevents/S240501ab/events/',
    labels: 'https://gracedb.example/api/superevents/S240501ab/labels/',
    logs: 'https://gracedb.example/api/superevents/S240501ab/logs/',
    files: 'https://gracedb.example/api/superevents/S240501ab/files/',
    self: 'https://gracedb.example/api/superevents/S240501ab/',
    voevents: 'https://gracedb.example/api/superevents/S240501ab/voevents/',
    emobservations: 'https://gracedb.example/api/superevents/S240501ab/emobservations/',
  },
  preferred_event_data: EVENT_SAMPLE,
  pipeline_preferred_events: { gstlal: EVENT_SAMPLE },
};

export const LOG_SAMPLE = {
  N: 7,
  comment: 'Localization copied from G424242',
  created: '2024-05-01 12:36:10 UTC',
  issuer: 'emfollow',
  filename: 'bayestar.multiorder.fits',
  file_version: 1,
  tag_names: ['sky_loc', 'public'],
  self: 'https://gracedb.example/api/superevents/S240501ab/logs/7/',
  tags: 'https://gracedb.example/api/superevents/S240501ab/logs/7/tags/',
  file: 'https://gracedb.example/api/superevents/S240501ab/files/bayestar.multiorder.fits,1',
};

/** One entry of `superevents/S/pipeline_preferred_events/` (and the answer to adding one). */
export const PIPELINE_PREFERRED_SAMPLE = {
  self: 'https://gracedb.example/api/events/G424243',
  graceid: 'G424243',
};
