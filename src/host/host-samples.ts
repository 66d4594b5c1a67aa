// Reads what Ganglia and Munin graph for a host (CPU, memory, load, disk, network, processes) and for this process (CPU, memory), as rates between two readings.
import { readdirSync, readFileSync, statfsSync, statSync } from 'node:fs';
import os from 'node:os';

/** One host sample: percentages, bytes, bytes per second. Rates are absent on the first reading. */
export interface HostSample {
  cpuUser?: number;
  cpuSystem?: number;
  cpuIowait?: number;
  cpuSteal?: number;
  memTotal: number;
  memUsed: number;
  memCached?: number;
  swapUsed?: number;
  load1: number;
  load5: number;
  load15: number;
  cpus: number;
  processes?: number;
  diskTotal: number;
  diskUsed: number;
  diskReadBps?: number;
  diskWriteBps?: number;
  netRxBps?: number;
  netTxBps?: number;
}

/** One process sample: CPU in percent of one core, memory in bytes. */
export interface ProcessSample {
  cpu?: number;
  rss: number;
  heapUsed: number;
}

interface CpuTicks {
  busyUser: number;
  busySystem: number;
  iowait: number;
  steal: number;
  total: number;
}

interface Counters {
  at: number;
  cpu: CpuTicks;
  diskRead?: number;
  diskWrite?: number;
  netRx?: number;
  netTx?: number;
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** CPU ticks from /proc/stat (user nice system idle iowait irq softirq steal), or os.cpus() elsewhere. */
function cpuTicks(): CpuTicks {
  const line = readText('/proc/stat')
    ?.split('\n')
    .find((l) => l.startsWith('cpu '));
  if (line) {
    const [user, nice, system, idle, iowait = 0, irq = 0, softirq = 0, steal = 0] = line.trim().split(/\s+/).slice(1).map(Number);
    return {
      busyUser: user + nice,
      busySystem: system + irq + softirq,
      iowait,
      steal,
      total: user + nice + system + idle + iowait + irq + softirq + steal,
    };
  }
  const sum = { busyUser: 0, busySystem: 0, iowait: 0, steal: 0, total: 0 };
  for (const { times } of os.cpus()) {
    sum.busyUser += times.user + times.nice;
    sum.busySystem += times.sys + times.irq;
    sum.total += times.user + times.nice + times.sys + times.irq + times.idle;
  }
  return sum;
}

/** Available memory as the kernel estimates it (MemAvailable), page cache, and swap in use. */
function memory(): { total: number; used: number; cached?: number; swapUsed?: number } {
  const total = os.totalmem();
  const info = readText('/proc/meminfo');
  if (!info) return { total, used: total - os.freemem() };
  const kb = (name: string) => {
    const match = new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(info);
    return match ? Number(match[1]) * 1024 : undefined;
  };
  const available = kb('MemAvailable') ?? os.freemem();
  const swapTotal = kb('SwapTotal');
  const swapFree = kb('SwapFree');
  return {
    total,
    used: total - available,
    cached: kb('Cached'),
    swapUsed: swapTotal !== undefined && swapFree !== undefined ? swapTotal - swapFree : undefined,
  };
}

/** Bytes read and written by whole disks (not partitions, loop, RAM or device-mapper devices, which would count twice). */
function diskBytes(): { read: number; write: number } | undefined {
  const stats = readText('/proc/diskstats');
  if (!stats) return undefined;
  let disks: Set<string>;
  try {
    disks = new Set(readdirSync('/sys/block').filter((name) => !/^(loop|ram|dm-|zram|sr|md|nbd)/.test(name)));
  } catch {
    return undefined;
  }
  let read = 0;
  let write = 0;
  for (const line of stats.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10 || !disks.has(fields[2])) continue;
    read += Number(fields[5]) * 512;
    write += Number(fields[9]) * 512;
  }
  return { read, write };
}

/** Bytes received and sent on every interface but loopback. */
function networkBytes(): { rx: number; tx: number } | undefined {
  const dev = readText('/proc/net/dev');
  if (!dev) return undefined;
  let rx = 0;
  let tx = 0;
  for (const line of dev.split('\n').slice(2)) {
    const [name, rest] = line.split(':');
    if (!rest || name.trim() === 'lo') continue;
    const fields = rest.trim().split(/\s+/).map(Number);
    rx += fields[0];
    tx += fields[8];
  }
  return { rx, tx };
}

function processCount(): number | undefined {
  try {
    return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).length;
  } catch {
    return undefined;
  }
}

/** Space on the file systems holding `/` and the var dir (counted once when they are the same). */
function diskSpace(paths: string[]): { total: number; used: number } {
  const seen = new Set<number>();
  let total = 0;
  let used = 0;
  for (const where of paths) {
    try {
      const device = statSync(where).dev;
      if (seen.has(device)) continue;
      seen.add(device);
      const fs = statfsSync(where);
      total += fs.blocks * fs.bsize;
      used += (fs.blocks - fs.bfree) * fs.bsize;
    } catch {}
  }
  return { total, used };
}

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
const rate = (now: number | undefined, before: number | undefined, seconds: number) =>
  now === undefined || before === undefined || seconds <= 0 ? undefined : round(Math.max(0, now - before) / seconds, 1);

/** Keeps the previous readings, so that each sample gives rates over the interval since the last one. */
export class HostReader {
  private last?: Counters;
  private lastProcess?: { at: number; usage: NodeJS.CpuUsage };

  constructor(private readonly diskPaths: string[] = ['/']) {}

  host(now = Date.now()): HostSample {
    const cpu = cpuTicks();
    const disk = diskBytes();
    const net = networkBytes();
    const mem = memory();
    const [load1, load5, load15] = os.loadavg();
    const space = diskSpace(this.diskPaths);
    const sample: HostSample = {
      memTotal: mem.total,
      memUsed: mem.used,
      memCached: mem.cached,
      swapUsed: mem.swapUsed,
      load1: round(load1),
      load5: round(load5),
      load15: round(load15),
      cpus: os.availableParallelism?.() ?? os.cpus().length,
      processes: processCount(),
      diskTotal: space.total,
      diskUsed: space.used,
    };
    const before = this.last;
    if (before) {
      const seconds = (now - before.at) / 1000;
      const ticks = cpu.total - before.cpu.total;
      if (ticks > 0) {
        sample.cpuUser = round((100 * (cpu.busyUser - before.cpu.busyUser)) / ticks);
        sample.cpuSystem = round((100 * (cpu.busySystem - before.cpu.busySystem)) / ticks);
        sample.cpuIowait = round((100 * (cpu.iowait - before.cpu.iowait)) / ticks);
        sample.cpuSteal = round((100 * (cpu.steal - before.cpu.steal)) / ticks);
      }
      sample.diskReadBps = rate(disk?.read, before.diskRead, seconds);
      sample.diskWriteBps = rate(disk?.write, before.diskWrite, seconds);
      sample.netRxBps = rate(net?.rx, before.netRx, seconds);
      sample.netTxBps = rate(net?.tx, before.netTx, seconds);
    }
    this.last = { at: now, cpu, diskRead: disk?.read, diskWrite: disk?.write, netRx: net?.rx, netTx: net?.tx };
    return sample;
  }

  process(now = Date.now()): ProcessSample {
    const usage = process.cpuUsage();
    const memory = process.memoryUsage();
    const sample: ProcessSample = { rss: memory.rss, heapUsed: memory.heapUsed };
    const before = this.lastProcess;
    if (before && now > before.at) {
      const busyMicros = usage.user - before.usage.user + usage.system - before.usage.system;
      sample.cpu = round((100 * busyMicros) / ((now - before.at) * 1000));
    }
    this.lastProcess = { at: now, usage };
    return sample;
  }
}
