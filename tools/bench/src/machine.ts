import { execFileSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import { natsServerBinary } from '@tandem/testing';
import type { MachineInfo } from './results';

/** The machine and versions the numbers belong to (the load average is read again at the end). */
export function machineInfo(): MachineInfo {
  const cpuList = cpus();
  let natsServer = 'unknown';
  try {
    natsServer = execFileSync(natsServerBinary(), ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    // reported as unknown
  }
  let autocannon = 'unknown';
  try {
    autocannon = (require('autocannon/package.json') as { version: string }).version;
  } catch {
    // reported as unknown
  }
  return {
    cpuModel: cpuList[0]?.model ?? 'unknown',
    cores: cpuList.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${type()} ${release()}`,
    node: process.version,
    natsServer,
    autocannon,
    loadAverageBefore: loadavg().map((l) => Math.round(l * 100) / 100),
    loadAverageAfter: [],
  };
}
