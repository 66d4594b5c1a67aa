// What the console's platform card shows: gwqueue version and commit, Node, OS, and installed packages.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT } from '../config/index.js';
import { VERSION } from '../version.js';

export interface PlatformInfo {
  version: string;
  commit: string;
  node: string;
  platform: string;
  hostname: string;
  packages: { name: string; version: string }[];
}

let cached: PlatformInfo | undefined;

export function platformInfo(): PlatformInfo {
  if (cached) return cached;
  const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: PACKAGE_ROOT, encoding: 'utf8' });
  const manifest = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  const packages = Object.keys(manifest.dependencies ?? {})
    .sort()
    .map((name) => {
      try {
        const installed = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as {
          version: string;
        };
        return { name, version: installed.version };
      } catch {
        return { name, version: 'missing' };
      }
    });
  cached = {
    version: VERSION,
    commit: git.status === 0 ? git.stdout.trim() : 'unknown',
    node: process.version,
    platform: `${os.type()} ${os.release()} (${os.arch()})`,
    hostname: os.hostname(),
    packages,
  };
  return cached;
}
