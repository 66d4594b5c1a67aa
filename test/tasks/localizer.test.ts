// The localizer plug-in point (setLocalizer, docs/domain.md): a deployment's own localizer is what the disabled-detectors task calls, and what its result and log name.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DOMAIN_SETTINGS, startInProcessPerTest } from '../helpers/in-process.js';
import { localizeWithoutDetectors, setLocalizer, type LocalizationInput } from '../../src/tasks/localization.js';
import { writeSkymap } from '../../src/tasks/skymap-fits.js';

describe('setLocalizer', () => {
  const domain = startInProcessPerTest({ env: DOMAIN_SETTINGS, workers: [{}], services: true });

  test('a plugged-in localizer is given the remaining detectors, and its sky map is uploaded under its name', async () => {
    const { services, engine } = await domain.start();
    const event = await services.gracedb.createEvent({
      group: 'CBC',
      pipeline: 'gstlal',
      search: 'AllSky',
      filename: 'coinc.json',
      filecontents: JSON.stringify({ gpstime: 1_400_000_000.5, far: 1e-9, instruments: 'H1,L1,V1' }),
    });
    const seen: Pick<LocalizationInput, 'detectors' | 'disabled'>[] = [];
    const skymap = writeSkymap({
      objectId: event.graceid,
      dateObs: '2024-05-19T16:53:02Z',
      instruments: ['H1', 'L1'],
      area90: 500,
      distMean: 300,
      distStd: 80,
      basePixel: 7,
    });
    const previous = setLocalizer({
      name: 'site BAYESTAR service',
      standIn: false,
      async localize(input) {
        seen.push({ detectors: input.detectors, disabled: input.disabled });
        return skymap;
      },
    });
    try {
      const handle = await engine.client.apply(localizeWithoutDetectors.signature([event.graceid, ['V1']], {}, {}, true));
      const result = (await handle.get({ timeout: 20 })) as Record<string, unknown>;
      assert.deepEqual(seen, [{ detectors: ['H1', 'L1'], disabled: ['V1'] }]);
      assert.equal(result.localizer, 'site BAYESTAR service');
      assert.equal(result.stand_in, false);
      assert.equal(result.filename, 'bayestar.no-V1.multiorder.fits');
      assert.deepEqual(await services.gracedb.download('bayestar.no-V1.multiorder.fits', event.graceid), skymap);
      const logs = await services.gracedb.getLogs(event.graceid);
      assert.ok(
        logs.some((entry) => entry.comment === 'sky localization complete without V1'),
        'no stand-in note in the log',
      );
    } finally {
      assert.equal(setLocalizer(previous).name, 'site BAYESTAR service');
    }
  });
});
