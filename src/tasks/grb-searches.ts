// The PyGRB and X-pipeline results of an external GRB trigger as GraceDB holds them (JSON files on the external event), read for the medium-latency circular; mock ones for MDC triggers.
import { z } from 'zod';
import type { GraceDb } from '../gracedb/index.js';
import { EXTERNAL_EVENT_ID } from '../gracedb/id-patterns.js';
import { defineTask } from '../queue/registry.js';
import { taskRandom } from '../queue/current-task.js';
import { services } from './services.js';

export type GrbSearch = 'pygrb' | 'xpipeline';

/**
 * Each search's files and the JSON keys in them, as the searches upload them to the external event: a false alarm
 * probability, and (read when there is no detection) the 90% exclusion distances in Mpc.
 */
export const GRB_SEARCH_FILES = {
  pygrb: {
    name: 'PyGRB',
    fap: { file: 'false_alarm_probability_pygrb.json', key: 'Online PyGRB' },
    distances: { file: 'distances_pygrb.json', keys: { nsns: 'NSNS Exclusion', nsbh: 'NSBH Exclusion' } },
  },
  xpipeline: {
    name: 'X-Pipeline',
    fap: { file: 'false_alarm_probability_x.json', key: 'Online Xpipeline' },
    distances: { file: 'distances_x.json', keys: { burst: 'Burst Exclusion' } },
  },
} as const;

/** A candidate with a false alarm probability below these is a detection (the cut-offs GWCelery's circular tool uses). */
export const DETECTION_FAP: Record<GrbSearch, number> = { pygrb: 0.01, xpipeline: 0.001 };

export interface GrbSearchResult {
  fap: number;
  detection: boolean;
  /** Exclusion distances in Mpc by kind (nsns, nsbh for PyGRB; burst for X-Pipeline); only read without a detection. */
  exclusions: Record<string, number>;
}

export type GrbSearchResults = Partial<Record<GrbSearch, GrbSearchResult>>;

async function readJson(gracedb: GraceDb, extId: string, filename: string): Promise<Record<string, unknown>> {
  const text = (await gracedb.download(filename, extId)).toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${extId}'s ${filename} is not JSON`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`${extId}'s ${filename} is not a JSON object`);
  return parsed as Record<string, unknown>;
}

function numberIn(object: Record<string, unknown>, key: string, what: string, range: [number, number]): number {
  const value = object[key];
  if (typeof value !== 'number' || !Number.isFinite(value) || value < range[0] || value > range[1]) {
    throw new Error(`${what} has no "${key}" number from ${range[0]} to ${range[1]} (found ${JSON.stringify(value ?? null)})`);
  }
  return value;
}

/** Whether any search has reported: its false alarm probability file is among the event's files (GraceDB's file list). */
export function hasGrbSearchResults(files: Record<string, string>): boolean {
  return Object.values(GRB_SEARCH_FILES).some((spec) => spec.fap.file in files);
}

/**
 * The results the external event's files hold (the latest version of each); a search without its files is absent.
 * `files`: the event's file list when the caller has it already.
 */
export async function readGrbSearchResults(gracedb: GraceDb, extId: string, files?: Record<string, string>): Promise<GrbSearchResults> {
  files ??= await gracedb.listFiles(extId);
  const results: GrbSearchResults = {};
  for (const search of Object.keys(GRB_SEARCH_FILES) as GrbSearch[]) {
    const spec = GRB_SEARCH_FILES[search];
    if (!(spec.fap.file in files)) continue;
    const fap = numberIn(await readJson(gracedb, extId, spec.fap.file), spec.fap.key, `${extId}'s ${spec.fap.file}`, [0, 1]);
    const detection = fap < DETECTION_FAP[search];
    const exclusions: Record<string, number> = {};
    if (!detection) {
      if (!(spec.distances.file in files)) {
        throw new Error(
          `${extId} has ${spec.name}'s ${spec.fap.file} but not its ${spec.distances.file}: without a detection the circular states the exclusion distances`,
        );
      }
      const distances = await readJson(gracedb, extId, spec.distances.file);
      for (const [kind, key] of Object.entries(spec.distances.keys)) {
        exclusions[kind] = numberIn(distances, key, `${extId}'s ${spec.distances.file}`, [0, 1e6]);
      }
    }
    results[search] = { fap, detection, exclusions };
  }
  return results;
}

/** Plausible mock numbers: no detection, exclusion distances of the order the searches reach (tens to hundreds of Mpc). */
function mockResults(random: () => number, faps: Partial<Record<GrbSearch, number>>) {
  const between = (low: number, high: number) => Number((low + (high - low) * random()).toFixed(1));
  const fap = (search: GrbSearch) => faps[search] ?? Number((0.05 + 0.95 * random()).toFixed(3));
  return {
    pygrb: { fap: fap('pygrb'), distances: { nsns: between(40, 140), nsbh: between(90, 300) } },
    xpipeline: { fap: fap('xpipeline'), distances: { burst: between(15, 90) } },
  };
}

export const uploadMockGrbSearchResults = defineTask({
  name: 'gwqueue.tasks.grb_searches.upload_mock_results',
  queue: 'exttrig',
  description:
    'Uploads mock PyGRB and X-Pipeline results (false alarm probabilities, exclusion distances) to an MDC external GRB trigger, as the searches upload theirs; a FAP given here instead of drawn.',
  params: {
    ext_id: z.string().regex(EXTERNAL_EVENT_ID, 'must be an external event ID such as E1234'),
    pygrb_fap: z.number().min(0).max(1).optional(),
    xpipeline_fap: z.number().min(0).max(1).optional(),
  },
  // A retry would upload a second version of each file: once is enough.
  retry: { attempts: 1 },
  async run({ ext_id, pygrb_fap, xpipeline_fap }) {
    const { gracedb } = services();
    const event = await gracedb.getEvent(ext_id);
    // Made-up numbers never go on a real trigger.
    if (event.group !== 'External' || event.search !== 'MDC') {
      throw new Error(`${ext_id} is a ${event.group} ${event.search ?? ''} event: mock search results go on MDC external triggers only`);
    }
    const mock = mockResults(taskRandom('grb-search-results'), { pygrb: pygrb_fap, xpipeline: xpipeline_fap });
    const uploaded: string[] = [];
    for (const search of Object.keys(GRB_SEARCH_FILES) as GrbSearch[]) {
      const spec = GRB_SEARCH_FILES[search];
      const { fap, distances } = mock[search];
      const distanceJson = Object.fromEntries(
        Object.entries(spec.distances.keys).map(([kind, key]) => [key, (distances as Record<string, number>)[kind]]),
      );
      await gracedb.writeLog(ext_id, `Mock ${spec.name} false alarm probability`, {
        filename: spec.fap.file,
        filecontents: JSON.stringify({ [spec.fap.key]: fap }),
      });
      await gracedb.writeLog(ext_id, `Mock ${spec.name} exclusion distances (Mpc)`, {
        filename: spec.distances.file,
        filecontents: JSON.stringify(distanceJson),
      });
      uploaded.push(spec.fap.file, spec.distances.file);
    }
    return { ext_id, uploaded, pygrb: mock.pygrb, xpipeline: mock.xpipeline };
  },
});
