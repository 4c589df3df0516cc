// What the kernel knows about a process: CPU time (utime + stime from
// /proc/<pid>/stat, its child processes included, should a relay run
// workers) and memory (VmRSS, VmHWM from /proc/<pid>/status), and how busy
// a core was with anything else.

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

/** Clock ticks per second; 100 on every Linux this runs on (sysconf(_SC_CLK_TCK)). */
const TICKS_PER_S = 100;

/** PIDs of the process's children (all threads' children). @param {number} pid */
function childrenOf(pid) {
  /** @type {number[]} */
  const out = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const list = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (list) out.push(...list.split(' ').map(Number));
    }
  } catch {
    // gone, or no permission: count the process alone
  }
  return out;
}

/** CPU seconds (user + system) used so far by the process and its descendants. @param {number} pid */
export function cpuSeconds(pid) {
  const { user, system } = cpuTimes(pid);
  return user + system;
}

/**
 * CPU seconds used so far by the process and its descendants, split into user
 * space and the kernel (system calls, page faults, the network stack's work
 * charged to it). @param {number} pid @returns {{ user: number, system: number }}
 */
export function cpuTimes(pid) {
  let user = 0;
  let system = 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may itself contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    user = Number(fields[11]) / TICKS_PER_S;
    system = Number(fields[12]) / TICKS_PER_S;
  } catch {
    return { user: 0, system: 0 };
  }
  for (const child of childrenOf(pid)) {
    const c = cpuTimes(child);
    user += c.user;
    system += c.system;
  }
  return { user, system };
}

/** Resident and peak resident memory, MB (the process alone). @param {number} pid */
export function memoryMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (/** @type {string} */ key) =>
    Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
}

/** Resets the peak (VmHWM) to the current RSS, so the next peak is this run's own. @param {number} pid */
export function resetPeak(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Busy CPU seconds of one core so far (everything but idle and iowait), from /proc/stat. @param {number | undefined} core */
export function coreBusySeconds(core) {
  if (core === undefined) return Number.NaN;
  const line = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`cpu${core} `));
  if (!line) return Number.NaN;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.split(/\s+/).slice(1).map(Number);
  const busy =
    /** @type {number} */ (user) +
    /** @type {number} */ (nice) +
    /** @type {number} */ (system) +
    /** @type {number} */ (irq) +
    /** @type {number} */ (softirq) +
    /** @type {number} */ (steal);
  void idle;
  void iowait;
  return busy / TICKS_PER_S;
}
