// A valid IGWN alert (official schema v1.0) for the tests, with a few bytes standing in for the sky map.
import type { IgwnAlert } from '../../src/alerts/schema.js';

export function sampleAlert(overrides: Partial<IgwnAlert> = {}): IgwnAlert {
  return {
    superevent_id: 'MS240101a',
    alert_type: 'PRELIMINARY',
    time_created: '2024-01-01T12:00:05Z',
    event: {
      time: '2024-01-01T12:00:00.123Z',
      far: 1.2e-9,
      significant: true,
      instruments: ['H1', 'L1'],
      group: 'CBC',
      pipeline: 'gstlal',
      search: 'MDC',
      properties: { HasNS: 1, HasRemnant: 0.95, HasMassGap: 0 },
      classification: { BNS: 0.97, NSBH: 0.01, BBH: 0.01, Terrestrial: 0.01 },
      duration: null,
      central_frequency: null,
      skymap: Buffer.from('SIMPLE  =                    T').toString('base64'),
    },
    external_coinc: null,
    urls: { gracedb: 'https://gracedb.invalid/superevents/MS240101a/view/' },
    ...overrides,
  };
}
