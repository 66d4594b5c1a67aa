// The names GraceDB knows: analysis groups, pipelines, searches, labels, superevent categories (its API root lists them).

export const GROUPS = ['CBC', 'Burst', 'Test', 'External', 'Detchar'] as const;

export const PIPELINES = [
  'gstlal',
  'pycbc',
  'MBTA',
  'MBTAOnline',
  'spiir',
  'CWB',
  'oLIB',
  'MLy',
  'aframe',
  'GWAK',
  'Fermi',
  'Swift',
  'SNEWS',
  'INTEGRAL',
  'AGILE',
  'IceCube',
  'CHIME',
  'SVOM',
  'HardwareInjection',
] as const;

export const SEARCHES = [
  'AllSky',
  'LowMass',
  'HighMass',
  'BBH',
  'IMBH',
  'EarlyWarning',
  'SSM',
  'MDC',
  'GRB',
  'SubGRB',
  'SubGRBTargeted',
  'Supernova',
  'HEN',
  'FRB',
] as const;

/** The labels the pipeline applies and reads (GraceDB's own list is longer; the embedded store takes any label name). */
export const LABELS = [
  'ADVNO',
  'ADVOK',
  'ADVREQ',
  'DQOK',
  'DQV',
  'EMBRIGHT_READY',
  'EM_COINC',
  'EM_READY',
  'EM_SelectedConfident',
  'EM_Selected',
  'GCN_PRELIM_SENT',
  'H1NO',
  'H1OK',
  'H1OPS',
  'INJ',
  'L1NO',
  'L1OK',
  'L1OPS',
  'LOW_SIGNIF_LOCKED',
  'LOW_SIGNIF_PRELIM_SENT',
  'PASTRO_READY',
  'RAVEN_ALERT',
  'SIGNIF_LOCKED',
  'SKYMAP_READY',
  'V1NO',
  'V1OK',
  'V1OPS',
] as const;

/** Name matching as GraceDB does it for groups, pipelines and searches: case-insensitive, answered in its own spelling. */
export function knownName(list: readonly string[], given: string): string | undefined {
  return list.find((name) => name.toLowerCase() === given.toLowerCase());
}
