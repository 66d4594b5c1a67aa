// A clean stop's "stopped" mark that could not reach Redis (away when the worker stopped): kept on disk and written by the next worker started with the same var directory, so that monitoring does not take the stop for a crash.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { markStoppedLater, type HeartbeatPayload } from '../queue/heartbeats.js';

const dirOf = (config: Config) => path.join(config.varDir, 'worker-stops');

/** Keeps the mark of a worker that stopped cleanly while Redis was away. */
export async function keepStopMark(config: Config, stopped: HeartbeatPayload): Promise<string> {
  const dir = dirOf(config);
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, `${encodeURIComponent(config.prefix)}--${encodeURIComponent(stopped.name)}.json`);
  // The prefix too: a var directory shared by two deployments must not mark one's worker in the other's Redis.
  await fs.writeFile(file, JSON.stringify({ prefix: config.prefix, stopped: { ...stopped, status: 'stopped', active: 0 } }));
  return file;
}

/**
 * Writes the marks kept by workers that stopped while Redis was away, then forgets them: a record that is no longer
 * that of the stopped run (the worker started again since, or its record expired) is left alone. Returns the names marked.
 */
export async function writeKeptStopMarks(redis: Redis, config: Config, log: Logger): Promise<string[]> {
  const dir = dirOf(config);
  const files = await fs.readdir(dir).catch(() => [] as string[]);
  const marked: string[] = [];
  for (const file of files.filter((name) => name.endsWith('.json'))) {
    const full = path.join(dir, file);
    let kept: { prefix: string; stopped: HeartbeatPayload };
    try {
      kept = JSON.parse(await fs.readFile(full, 'utf8')) as typeof kept;
    } catch {
      await fs.rm(full, { force: true });
      continue;
    }
    if (kept.prefix !== config.prefix) continue;
    const { stopped } = kept;
    if (await markStoppedLater(redis, config, stopped)) marked.push(stopped.name);
    await fs.rm(full, { force: true });
  }
  if (marked.length) log.info({ workers: marked }, 'marked as stopped: workers that stopped cleanly while Redis was away');
  return marked;
}
