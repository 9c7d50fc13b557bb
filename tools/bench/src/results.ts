import type { LatencySummary } from './percentiles';

/** One measured process of a scenario. */
export interface ProcessResult {
  readonly name: string;
  readonly pid: number;
  /** Spawn → first 200 from /readyz (or its ready line). */
  readonly startupMs: number;
  /** CPU time used during the measured window. */
  readonly cpuMs: number;
  /** Resident set size right after the measured window. */
  readonly rssMiB: number;
  /** The most memory it used up to the end of the measured window: its memory cgroup's peak (RSS and page cache, as a container is charged), or VmHWM without cgroups. */
  readonly peakMiB?: number;
  readonly peakFrom?: 'cgroup' | 'VmHWM';
  /** The deploy/ memory limit it ran under (cgroup), if any. */
  readonly memoryLimitMiB?: number;
  /** OOM kills in its cgroup. */
  readonly oomKills?: number;
}

export type TracingMode = 'none' | 'off' | 'sampling 0.1' | 'sampling 1.0';

/** An HTTP load scenario: `POST /orders` through a gateway. */
export interface HttpScenarioResult {
  readonly kind: 'http';
  readonly id: string;
  readonly title: string;
  readonly tracing: TracingMode;
  readonly connections: number;
  readonly durationSec: number;
  readonly requests: number;
  readonly requestsPerSec: number;
  readonly latencyMs: LatencySummary;
  readonly non2xx: number;
  readonly statusCodes: Readonly<Record<string, number>>;
  readonly errors: number;
  readonly timeouts: number;
  /** CPU of every process of the scenario, nats-server included, per response. */
  readonly cpuMsPerRequest: number;
  readonly processes: readonly ProcessResult[];
  /** Events the broker stored during warm-up and measurement (≥ the 201s: every 201 is stored). */
  readonly eventsStored: number;
  readonly created: number;
  /**
   * CPU other processes on the machine (not the scenario's, not the bench's) used during the
   * measured window, in cores: what competed with the measurement.
   */
  readonly otherLoadCores: number;
  /** OTLP exports the sink received during the measured window. */
  readonly otlp?: { readonly requests: number; readonly bytes: number };
}

/** A consumer draining a backlog of `orders.created`. */
export interface ConsumerScenarioResult {
  readonly kind: 'consumer';
  readonly id: string;
  readonly title: string;
  readonly messages: number;
  readonly drainMs: number;
  readonly messagesPerSec: number;
  readonly cpuMsPerMessage: number;
  readonly processes: readonly ProcessResult[];
  /** As for HTTP scenarios: other processes' CPU during the drain, in cores. */
  readonly otherLoadCores: number;
  /** Messages still pending or unacknowledged afterwards (0 when the drain finished). */
  readonly leftOver: number;
  /** For the fulfilment consumer: `orders.fulfilled` events it published. */
  readonly fulfilledEvents?: number;
}

export type ScenarioResult = HttpScenarioResult | ConsumerScenarioResult;

/** The fulfilment worker started with one order waiting, as a scaler waking it from zero would. */
export interface ColdStartResult {
  readonly wakes: number;
  /** Spawn → `/readyz` 200, per wake. */
  readonly readyMs: readonly number[];
  /** Spawn → the waiting order's `orders.fulfilled` stored, per wake. */
  readonly firstHandledMs: readonly number[];
  readonly readyMedianMs: number;
  readonly firstHandledMedianMs: number;
  readonly firstHandledMaxMs: number;
}

/** Order event streams held open while nothing happens: what they cost each process. */
export interface IdleStreamsResult {
  readonly streams: number;
  /** Streams whose first event arrived (all of them, or the run failed). */
  readonly opened: number;
  /** Time to open them all, 50 at a time. */
  readonly openSec: number;
  readonly idleSec: number;
  readonly processes: ReadonlyArray<{
    readonly name: string;
    readonly rssBeforeMiB: number;
    readonly rssAfterMiB: number;
    /** (RSS after − RSS before) / streams. */
    readonly kibPerStream: number;
    /** CPU per second of the idle window (heartbeats, timers). */
    readonly cpuMsPerSec: number;
    readonly peakMiB?: number;
    readonly memoryLimitMiB?: number;
    readonly oomKills?: number;
  }>;
}

export interface TargetResult {
  readonly name: string;
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly natsServer: string;
  readonly autocannon: string;
  readonly loadAverageBefore: readonly number[];
  readonly loadAverageAfter: readonly number[];
}

export interface BenchResults {
  readonly date: string;
  readonly command: string;
  readonly quick: boolean;
  readonly plan: BenchPlan;
  readonly machine: MachineInfo;
  readonly scenarios: readonly ScenarioResult[];
  /** Requests/s and p99 of the ceiling the ratios use: the mean of its runs. */
  readonly ceiling: { readonly requestsPerSec: number; readonly p99Ms: number; readonly runs: readonly number[] };
  readonly startup: ReadonlyArray<{
    readonly service: string;
    readonly samplesMs: readonly number[];
    readonly medianMs: number;
    readonly maxMs: number;
  }>;
  readonly targets: readonly TargetResult[];
  /** Idle order event streams; absent in older reports. */
  readonly idleStreams?: IdleStreamsResult;
  /** The fulfilment worker woken from zero with an order waiting; absent in older reports. */
  readonly coldStart?: ColdStartResult;
  /** Whether processes ran in memory cgroups under their deploy/ limits, the limits, and why not. */
  readonly memory?: { readonly cgroups: boolean; readonly reason?: string; readonly limitsMiB: Readonly<Record<string, number>> };
  /** Every process the bench started; none is left running when it exits. */
  readonly processes: ReadonlyArray<{ readonly name: string; readonly pid: number }>;
  readonly wallClockSec: number;
}

/** How long and how hard each scenario runs. */
export interface BenchPlan {
  readonly connections: number;
  readonly warmupSec: number;
  readonly durationSec: number;
  readonly backlog: number;
  /** Run the ceiling again at the end, so drift (other load on the machine) shows. */
  readonly repeatCeiling: boolean;
  /** Measured window of the memory soak (separate processes at sampling 1.0), when longer than `durationSec`. */
  readonly soakSec?: number;
  /** Idle order event streams held open through the gateway, and for how long. */
  readonly idleStreams: { readonly streams: number; readonly idleSec: number };
  /** Times the fulfilment worker is woken from zero with one order waiting. */
  readonly coldStarts: number;
}

export const PLANS: Readonly<Record<'full' | 'quick', BenchPlan>> = {
  full: {
    connections: 32,
    warmupSec: 3,
    durationSec: 10,
    backlog: 50_000,
    coldStarts: 5,
    repeatCeiling: true,
    soakSec: 40,
    idleStreams: { streams: 1_000, idleSec: 20 },
  },
  quick: {
    connections: 32,
    warmupSec: 1,
    durationSec: 2,
    backlog: 2_000,
    coldStarts: 2,
    repeatCeiling: false,
    idleStreams: { streams: 100, idleSec: 1 },
  },
};
