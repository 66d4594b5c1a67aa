// Re-localizing an event without some of its detectors (GWCelery: BAYESTAR with disabled_detectors): the pluggable localizer and its task.
import { z } from 'zod';
import type { EventRecord } from '../gracedb/index.js';
import { EVENT_ID } from '../gracedb/id-patterns.js';
import { defineTask } from '../queue/registry.js';
import { services } from './services.js';
import { standInLocalizer } from './localization-stand-in.js';
import type { Localizer } from './localizer.js';

export type { LocalizationInput, Localizer } from './localizer.js';

/** Detectors an operator may disable: the LIGO, Virgo, KAGRA and LIGO-India prefixes GraceDB's events carry. */
export const DETECTORS = ['H1', 'L1', 'V1', 'K1', 'I1'] as const;
export type Detector = (typeof DETECTORS)[number];

let current: Localizer = standInLocalizer;

/**
 * Plugs in another localizer (a deployment with BAYESTAR behind a service); returns the one it replaced.
 * @public the plug-in point docs/domain.md names, called by a deployment's own module, not by gwqueue.
 */
export function setLocalizer(localizer: Localizer): Localizer {
  const previous = current;
  current = localizer;
  return previous;
}

export function currentLocalizer(): Localizer {
  return current;
}

/** The detectors in an event's `instruments` ("H1,L1,V1"). */
export function eventDetectors(event: Pick<EventRecord, 'instruments'>): string[] {
  return event.instruments
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
}

/** GWCelery's file name: the disabled detectors' names, sorted and run together (`bayestar.no-H1V1.multiorder.fits`). */
export function disabledDetectorsFilename(disabled: readonly string[]): string {
  return `bayestar.no-${[...disabled].sort().join('')}.multiorder.fits`;
}

/** Why these detectors cannot be disabled for this event, or undefined when they can. */
export function disabledDetectorsProblem(
  event: Pick<EventRecord, 'graceid' | 'instruments'>,
  disabled: readonly string[],
): string | undefined {
  const detectors = eventDetectors(event);
  if (disabled.length === 0) return 'choose at least one detector to disable';
  const foreign = disabled.filter((name) => !detectors.includes(name));
  if (foreign.length) return `${event.graceid} has no ${foreign.join(', ')} data (its detectors: ${detectors.join(', ') || 'none'})`;
  if (detectors.every((name) => disabled.includes(name)))
    return `disabling ${disabled.join(', ')} leaves ${event.graceid} without a detector: at least one of ${detectors.join(', ')} must stay`;
  return undefined;
}

const TAGS = ['sky_loc', 'public'];

export const localizeWithoutDetectors = defineTask({
  name: 'gwqueue.tasks.localization.localize_without_detectors',
  queue: 'openmp',
  description:
    'Re-localizes an event without some of its detectors and uploads bayestar.no-<detectors>.multiorder.fits (tags sky_loc, public); the localizer is pluggable, by default a stand-in for BAYESTAR.',
  params: {
    graceid: z.string().regex(EVENT_ID, 'must be an event ID such as G1234'),
    disabled_detectors: z.array(z.enum(DETECTORS)).min(1).max(DETECTORS.length),
  },
  async run({ graceid, disabled_detectors }, ctx) {
    const { gracedb } = services();
    const disabled: string[] = [...new Set(disabled_detectors)].sort();
    const event = await gracedb.getEvent(graceid);
    const problem = disabledDetectorsProblem(event, disabled);
    if (problem) throw new Error(`No sky map created: ${problem}.`);
    const detectors = eventDetectors(event).filter((name) => !disabled.includes(name));
    const localizer = currentLocalizer();
    if (localizer.standIn) await ctx.log(`${localizer.name}: no BAYESTAR here, the sky map is derived from ${detectors.join(', ')}`);
    const skymap = await localizer.localize({
      event,
      logs: await gracedb.getLogs(graceid),
      detectors,
      disabled,
      download: (filename) => gracedb.download(filename, graceid),
    });
    const filename = disabledDetectorsFilename(disabled);
    const note = localizer.standIn ? ` (${localizer.name}, not a real localization)` : '';
    const entry = await gracedb.writeLog(graceid, `sky localization complete without ${disabled.join(', ')}${note}`, {
      filename,
      filecontents: skymap,
      tags: TAGS,
    });
    return {
      graceid,
      filename,
      file_version: entry.file_version,
      disabled_detectors: disabled,
      detectors,
      localizer: localizer.name,
      stand_in: localizer.standIn,
      tags: TAGS,
    };
  },
});
