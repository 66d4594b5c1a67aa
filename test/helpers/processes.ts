// Child processes seen through /proc: which processes a given one started (cluster workers, pool processes), which are still alive, what they are connected to.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** PIDs whose parent is `pid`. */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

/** Whether process `pid` holds an established TCP connection to `port` on this machine (read from /proc/net/tcp). */
export function connectedTo(pid: number, port: number): boolean {
  const sockets = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        if (target.startsWith('socket:[')) sockets.add(target.slice(8, -1));
      } catch {
        // closed while we looked
      }
    }
  } catch {
    return false;
  }
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // fields: sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode; st 01 = ESTABLISHED
      if (fields.length > 9 && fields[2].endsWith(`:${hexPort}`) && fields[3] === '01' && sockets.has(fields[9])) return true;
    }
  }
  return false;
}

/** PIDs of live processes whose environment holds `NAME=value` (processes a test started, found after their parent left). */
export function processesWithEnv(name: string, value: string): number[] {
  const wanted = `${name}=${value}`;
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(wanted)) {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        if (stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z') out.push(Number(entry));
      }
    } catch {
      // not ours, or ended while we looked
    }
  }
  return out;
}
