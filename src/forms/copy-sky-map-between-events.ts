// Copy Sky Map Between Events: download a multi-order sky map from an event and upload it to the superevent, unversioned, tagged sky_loc and public.
import { splitVersionedFilename } from '../gracedb/id-patterns.js';
import { download, upload } from '../tasks/gracedb.js';
import { chain } from '../queue/canvas.js';
import { defineForm } from './define-form.js';
import { refuseUnknownIds } from './gracedb-lookups.js';
import { eventField, narrowed, supereventField, versionedFileField } from './fields.js';

/** The event groups a sky map is copied from, as GWCelery's form takes them: production, external, MDC and test. */
const COPYABLE_EVENT = /^[GEMT]\d+$/;
const MULTIORDER = /\.multiorder\.fits,\d+$/;
const TAGS = ['sky_loc', 'public'];

const copyEventField = narrowed(eventField, (text) =>
  COPYABLE_EVENT.test(text) ? undefined : 'must be a G, E, M or T event such as G123456',
);

const skymapFileField = narrowed(
  versionedFileField('skymap_filename', 'bayestar.multiorder.fits,0', {
    label: 'Sky map file (of the event)',
    typeahead: '/typeahead_event_skymap_filename',
    help: "the event's multi-order FITS sky maps, name,version",
  }),
  (text) => (MULTIORDER.test(text) ? undefined : 'must be a .multiorder.fits file, name,version such as bayestar.multiorder.fits,0'),
);

export const copySkyMapBetweenEvents = defineForm({
  name: 'copy_sky_map_between_events',
  title: 'Copy Sky Map Between Events',
  description: 'Copy a multi-order sky map from an event to the superevent (without its version), tagged sky_loc and public.',
  button: 'Copy sky map',
  fields: [supereventField, copyEventField, skymapFileField],
  confirm: true,
  flash: (values) => `Copying file ${values.skymap_filename} from ${values.event_id} to ${values.superevent_id}`,
  async check(values, gracedb) {
    const unknown = await refuseUnknownIds(gracedb, 'action', values, [
      ['superevent_id', 'superevent'],
      ['event_id', 'event'],
    ]);
    if (unknown) return unknown;
    const files = await gracedb.listFiles(values.event_id);
    if (!Object.hasOwn(files, values.skymap_filename))
      return { skymap_filename: `${values.event_id} has no file ${values.skymap_filename}` };
    return undefined;
  },
  build: (values) =>
    chain(
      download.si(values.skymap_filename, values.event_id),
      upload.s(splitVersionedFilename(values.skymap_filename).name, values.superevent_id, `sky map copied from ${values.event_id}`, TAGS),
    ),
});
