import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

/** Clock ticks per second of /proc's CPU times (`getconf CLK_TCK`, 100 on Linux in practice). */
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** The bench reads CPU time and memory of its processes from /proc: Linux only. */
export function procAvailable(): boolean {
  return existsSync('/proc/self/stat');
}

/** /proc's file for `pid`, or undefined when the process is gone (e.g. killed by the OOM killer under its memory limit). */
function procFile(pid: number, name: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${name}`, 'utf8');
  } catch {
    return undefined;
  }
}

/** CPU time (user + system, all threads) a live process has used so far, in ms; NaN once it is gone. */
export function cpuMs(pid: number): number {
  const stat = procFile(pid, 'stat');
  if (stat === undefined) return Number.NaN;
  // Fields after the command name, which may itself contain spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / clockTicks();
}

/** Resident set size of a live process, in MiB. */
export function rssMiB(pid: number): number {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(procFile(pid, 'status') ?? '');
  return match ? Number(match[1]) / 1024 : 0;
}

/** The most resident memory a live process has had (VmHWM), in MiB. */
export function peakRssMiB(pid: number): number {
  const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(procFile(pid, 'status') ?? '');
  return match ? Number(match[1]) / 1024 : 0;
}

/** CPU time all cores spent busy (not idle, not waiting for I/O) since boot, in ms. */
export function machineBusyMs(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return ((total - idle) * 1000) / clockTicks();
}
