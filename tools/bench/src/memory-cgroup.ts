import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A Linux memory cgroup holding one bench process, as a container's memory limit holds a
 * service in deploy/: the process runs under the same limit (Node sizes its heap from it), its
 * peak memory is the kernel's own account (what the OOM killer judges: RSS and page cache), and
 * OOM kills are counted. cgroup v1 (`/sys/fs/cgroup/memory`) or v2 with the memory controller;
 * needs write access there (root). Without it the bench reports VmHWM (the process's own peak
 * RSS) and no limit.
 */
export class MemoryCgroup {
  private constructor(
    readonly path: string,
    private readonly version: 1 | 2,
    readonly limitMiB: number | undefined,
  ) {}

  /** Where new groups go, or why there is none. */
  static root(): { path: string; version: 1 | 2 } | { reason: string } {
    const forced = process.env['TANDEM_BENCH_CGROUPS'];
    if (forced === '0') return { reason: 'TANDEM_BENCH_CGROUPS=0' };
    const candidates: Array<{ path: string; version: 1 | 2; ok: () => boolean }> = [
      { path: '/sys/fs/cgroup/memory', version: 1, ok: () => existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes') },
      {
        path: '/sys/fs/cgroup',
        version: 2,
        ok: () => readIf('/sys/fs/cgroup/cgroup.subtree_control')?.split(/\s+/).includes('memory') === true,
      },
    ];
    for (const c of candidates) {
      if (!c.ok()) continue;
      try {
        accessSync(c.path, constants.W_OK);
        return { path: c.path, version: c.version };
      } catch {
        return { reason: `${c.path} is not writable (run as root to measure under the deploy/ memory limits)` };
      }
    }
    return { reason: 'no memory cgroup controller mounted' };
  }

  /** A new group named `name` with `limitMiB` (none: no limit, peak only); undefined when cgroups are not available. */
  static create(name: string, limitMiB: number | undefined): MemoryCgroup | undefined {
    const root = MemoryCgroup.root();
    if (!('path' in root)) return undefined;
    const path = join(root.path, `tandem-bench-${process.pid}-${name}`);
    mkdirSync(path);
    const group = new MemoryCgroup(path, root.version, limitMiB);
    if (limitMiB !== undefined) {
      const bytes = String(Math.round(limitMiB * 1024 * 1024));
      writeFileSync(join(path, root.version === 1 ? 'memory.limit_in_bytes' : 'memory.max'), bytes);
      // No swap to hide in, as in a container.
      const swap = join(path, root.version === 1 ? 'memory.memsw.limit_in_bytes' : 'memory.swap.max');
      if (existsSync(swap)) {
        try {
          writeFileSync(swap, root.version === 1 ? bytes : '0');
        } catch {
          // swap accounting off: nothing to limit
        }
      }
    }
    return group;
  }

  /** The file a process writes its pid to, to join. */
  get procsFile(): string {
    return join(this.path, 'cgroup.procs');
  }

  /** The most memory the group used since it was created, in MiB. */
  peakMiB(): number {
    const file = this.version === 1 ? 'memory.max_usage_in_bytes' : 'memory.peak';
    const text = readIf(join(this.path, file));
    return text === undefined ? Number.NaN : Number(text.trim()) / (1024 * 1024);
  }

  /** Processes of the group the kernel's OOM killer ended. */
  oomKills(): number {
    const text = readIf(join(this.path, this.version === 1 ? 'memory.oom_control' : 'memory.events')) ?? '';
    const match = /^oom_kill (\d+)$/m.exec(text);
    return match ? Number(match[1]) : 0;
  }

  /** Removes the group (its process has exited); a group still in use is left, and named. */
  remove(): void {
    try {
      rmdirSync(this.path);
    } catch (error) {
      process.stderr.write(`bench: could not remove the memory cgroup ${this.path}: ${(error as Error).message}\n`);
    }
  }
}

function readIf(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
