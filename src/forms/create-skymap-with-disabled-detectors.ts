// Create Sky Map With Disabled Detectors: re-localize an event without some of its detectors (a stand-in for BAYESTAR unless another localizer is plugged in).
import { DETECTORS, disabledDetectorsProblem, eventDetectors, localizeWithoutDetectors } from '../tasks/localization.js';
import { lookUpEvent } from './gracedb-lookups.js';
import { defineForm } from './define-form.js';
import { checkboxField, eventField, type FormField } from './fields.js';

/**
 * One checkbox per detector; its `typeahead` is the lookup that lists an event's detectors, so that the page (with
 * JavaScript) offers only the event's own. The form's check refuses a detector the event does not have, or disabling
 * them all (a field error, nothing queued); the task checks again.
 */
const detectorFields: FormField[] = DETECTORS.map((name) => ({ ...checkboxField(name, name), typeahead: '/typeahead_event_detectors' }));

export const createSkymapWithDisabledDetectors = defineForm({
  name: 'create_skymap_with_disabled_detectors',
  title: 'Create Sky Map With Disabled Detectors',
  description:
    'Re-localize an event without the ticked detectors and upload bayestar.no-<detectors>.multiorder.fits (sky_loc, public). No BAYESTAR here: a stand-in derives the map from the remaining detectors.',
  button: 'Create sky map',
  fields: [eventField, ...detectorFields],
  rules: [
    {
      field: DETECTORS[0],
      problem: (raw) => (DETECTORS.some((name) => raw[name] !== undefined) ? undefined : 'choose at least one detector to disable'),
    },
  ],
  confirm: true,
  flash: (values) =>
    `Creating sky map for event ID ${values.event_id} with these disabled detectors: ${DETECTORS.filter((name) => values[name]).join(' ')}`,
  async check(values, gracedb) {
    const event = await lookUpEvent(gracedb, 'action', values.event_id);
    if (!event.ok) return { event_id: event.problem };
    const disabled = DETECTORS.filter((name) => values[name]);
    const problem = disabledDetectorsProblem(event.record, disabled);
    if (!problem) return undefined;
    // Under the detector the event lacks, else under the first ticked one.
    const own = eventDetectors(event.record);
    return { [disabled.find((name) => !own.includes(name)) ?? disabled[0]]: problem };
  },
  build: (values) => {
    const disabled = DETECTORS.filter((name) => values[name]);
    return localizeWithoutDetectors.signature([values.event_id, disabled], {}, {}, true);
  },
});
