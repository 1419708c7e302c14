/**
 * CPU time and memory of a process tree from /proc (Linux only).
 *
 * CPU: utime + stime of every live process in the tree, plus cutime + cstime (children that
 * exited and were waited for), in clock ticks; `CLK_TCK` comes from `getconf CLK_TCK`.
 * Threads are part of their process's figures already. Memory: VmRSS and VmHWM (peak RSS) from
 * /proc/<pid>/status, summed over the tree (for one process that is exact; for several it is an
 * upper bound of the tree's peak, since the peaks need not coincide).
 */

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let clkTck = 0;
/** Clock ticks per second, from `getconf CLK_TCK` (100 on Linux/x86-64). */
export function clockTicks() {
  if (!clkTck) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/**
 * Fields of /proc/<pid>/stat we use, or null when the process is gone.
 * The command name (field 2) is in parentheses and may contain spaces: parse after the last ')'.
 */
export function readStat(pid) {
  let s;
  try {
    s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  // f[0] is field 3 (state); field n is f[n - 3].
  return {
    state: f[0],
    ppid: Number(f[1]),
    utime: Number(f[11]),
    stime: Number(f[12]),
    cutime: Number(f[13]),
    cstime: Number(f[14]),
  };
}

/** The pid and all its live descendants. */
export function processTree(rootPid) {
  /** @type {Map<number, number[]>} */
  const children = new Map();
  for (const name of readdirSync('/proc')) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const st = readStat(name);
    if (!st) continue;
    const list = children.get(st.ppid);
    if (list) list.push(Number(name));
    else children.set(st.ppid, [Number(name)]);
  }
  const out = [rootPid];
  for (let i = 0; i < out.length; i++) {
    for (const c of children.get(out[i]) ?? []) out.push(c);
  }
  return out;
}

function statusKb(pid, key) {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = s.match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * One reading of the tree rooted at pid: its processes are found by scanning /proc, or taken
 * from `pids` (a previous reading's) to keep frequent readings cheap.
 * @param {number} rootPid
 * @param {number[]} [pids]
 * @returns {{ pids: number[], cpuSeconds: number, rssKb: number, hwmKb: number } | null}
 */
export function sampleTree(rootPid, pids) {
  if (!readStat(rootPid)) return null;
  pids ??= processTree(rootPid);
  let ticks = 0;
  let rssKb = 0;
  let hwmKb = 0;
  for (const pid of pids) {
    const st = readStat(pid);
    if (!st) continue;
    ticks += st.utime + st.stime + st.cutime + st.cstime;
    rssKb += statusKb(pid, 'VmRSS');
    hwmKb += statusKb(pid, 'VmHWM');
  }
  return { pids, cpuSeconds: ticks / clockTicks(), rssKb, hwmKb };
}

/**
 * Busy CPU time of the whole machine so far (all CPUs: user + nice + system + irq + softirq +
 * steal from the first line of /proc/stat), in seconds. Subtracting what the scraper and the
 * harness used shows how much else was running during a window.
 */
export function machineBusySeconds() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already in user).
  const busy = f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] ?? 0);
  return busy / clockTicks();
}
