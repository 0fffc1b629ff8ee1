'use strict';
// What `npm run bench` measures, how often, and how each result becomes a
// row of the table: the numbers (medians across rounds) and the goal from
// issue 5. `mode` is 'smoke' (CI: seconds, proves the benchmarks still run),
// 'default', or 'long' (adds the 1,000,000-call load and ndjson on 100 MB).
const { fmt } = require('./support/stats');

const MB = 1024 * 1024;

/** A verdict for a goal: true met, false missed, null when there is no goal or the mode is too small to judge. */
function verdict(met, mode) {
  return mode === 'smoke' ? null : met;
}

/** How many rounds a benchmark runs: one in smoke mode (it only has to run), `full` otherwise. */
function rounds(mode, full) {
  return mode === 'smoke' ? 1 : full;
}

function roundTrip(mode) {
  const calls = mode === 'smoke' ? 200 : 20_000;
  return {
    key: 'round-trip',
    scenario: 'round-trip',
    variants: ['ours', 'ours-nobeat', 'ipc', 'raw'],
    rounds: rounds(mode, 5),
    params: { calls, warmup: mode === 'smoke' ? 20 : 1000 },
    rows: ({ ours, 'ours-nobeat': nobeat, ipc, raw }) => [
      {
        benchmark: `callback round trip, 1 child, ${fmt(calls, 0)} sequential calls, 60-byte payload`,
        ours: `${fmt(ours.usPerCall)} µs/call`,
        baseline: `built-in IPC (fork, json): ${fmt(ipc.usPerCall)} µs/call`,
        ratio: ours.usPerCall / ipc.usPerCall,
        goal: '≤ 1.2×',
        met: verdict(ours.usPerCall <= 1.2 * ipc.usPerCall, mode),
        chart: { label: 'round trip vs built-in IPC', advantage: ipc.usPerCall / ours.usPerCall, goal: 1 / 1.2 },
      },
      {
        benchmark: '… with the beat (default, 1 s) against without it (beatInterval: null)',
        ours: `${fmt(ours.usPerCall)} µs/call`,
        baseline: `no beat: ${fmt(nobeat.usPerCall)} µs/call`,
        ratio: ours.usPerCall / nobeat.usPerCall,
        goal: '≤ 1.02×',
        met: verdict(ours.usPerCall <= 1.02 * nobeat.usPerCall, mode),
      },
      {
        benchmark: '… the same runs against the floor',
        ours: `${fmt(ours.usPerCall)} µs/call`,
        baseline: `raw 1-byte ping-pong on fd 3/4: ${fmt(raw.usPerCall)} µs/call`,
        ratio: ours.usPerCall / raw.usPerCall,
        goal: 'report',
        met: null,
        chart: { label: 'round trip vs raw pipe floor', advantage: raw.usPerCall / ours.usPerCall },
      },
    ],
  };
}

function throughput(mode) {
  const params = mode === 'smoke' ? { children: 4, inFlight: 8, callsPerChild: 100 } : { children: 4, inFlight: 32, callsPerChild: 25_000 };
  return {
    key: 'throughput',
    scenario: 'throughput',
    variants: ['ours', 'ipc'],
    rounds: rounds(mode, 5),
    params,
    rows: ({ ours, ipc }) => [
      {
        benchmark: `callback throughput, ${params.children} children × ${params.inFlight} in flight, ${fmt(params.children * params.callsPerChild, 0)} calls`,
        ours: `${fmt(ours.callsPerSec, 0)} calls/s`,
        baseline: `built-in IPC: ${fmt(ipc.callsPerSec, 0)} calls/s`,
        ratio: ours.callsPerSec / ipc.callsPerSec,
        goal: '≥ 1.0×',
        met: verdict(ours.callsPerSec >= ipc.callsPerSec, mode),
        chart: { label: 'throughput vs built-in IPC', advantage: ours.callsPerSec / ipc.callsPerSec, goal: 1 },
      },
    ],
  };
}

function finalPayload(mode, megabytes) {
  const bytes = megabytes * MB;
  const big = megabytes >= 100;
  // ndjson's parser is quadratic on one long line: ≈ 2 minutes at 100 MB.
  const withNdjson = !big || mode === 'long';
  return {
    key: `final-payload-${megabytes}mb`,
    scenario: 'final-payload',
    variants: withNdjson ? ['ours', 'ndjson'] : ['ours'],
    rounds: rounds(mode, big ? 3 : 5),
    params: { bytes },
    timeoutMs: big ? 600_000 : 120_000,
    // ndjson on 100 MB runs once: a single run takes minutes.
    roundsOf: big ? { ndjson: 1 } : {},
    rows: ({ ours, ndjson }) => {
      const row = {
        benchmark: `final payload of ${megabytes} MB (one string field), finish() → onChildReap`,
        ours: `${fmt(ours.ms)} ms, peak RSS ${fmt(ours.peakRssMb, 0)} MB`,
        baseline: ndjson
          ? `same line through ndjson.parse(): ${fmt(ndjson.ms)} ms, peak RSS ${fmt(ndjson.peakRssMb, 0)} MB`
          : 'ndjson.parse(): only with --long (≈ 2 min)',
        ratio: ndjson ? ours.ms / ndjson.ms : undefined,
        goal: big ? `≤ 2 s and RSS ≤ ${5 * megabytes} MB` : 'report',
        met: big ? verdict(ours.ms <= 2000 && ours.peakRssMb <= 5 * megabytes, mode) : null,
        chart: ndjson ? { label: `${megabytes} MB payload vs ndjson`, advantage: ndjson.ms / ours.ms } : undefined,
      };
      if (big) {
        row.budget = [
          { label: `${megabytes} MB payload time (budget 2 s)`, used: ours.ms / 2000, text: `${fmt(ours.ms, 0)} ms` },
          { label: `${megabytes} MB payload peak RSS (budget ${5 * megabytes} MB)`, used: ours.peakRssMb / (5 * megabytes), text: `${fmt(ours.peakRssMb, 0)} MB` },
        ];
      }
      return [row];
    },
  };
}

function spawnRate(mode) {
  const params = { total: mode === 'smoke' ? 8 : 200, maxWorkers: 4 };
  return {
    key: 'spawn-rate',
    scenario: 'spawn-rate',
    variants: ['ours', 'bare'],
    rounds: rounds(mode, 3),
    params,
    rows: ({ ours, bare }) => [
      {
        benchmark: `spawn rate, ${params.total} short children, maxWorkers ${params.maxWorkers}, each finishing with a payload`,
        ours: `${fmt(ours.childrenPerSec, 1)} children/s`,
        baseline: `bare child_process.spawn, script doing nothing: ${fmt(bare.childrenPerSec, 1)} children/s`,
        ratio: ours.childrenPerSec / bare.childrenPerSec,
        goal: '≥ 0.9×',
        met: verdict(ours.childrenPerSec >= 0.9 * bare.childrenPerSec, mode),
        chart: { label: 'spawn rate vs bare spawn', advantage: ours.childrenPerSec / bare.childrenPerSec, goal: 0.9 },
      },
    ],
  };
}

/** Lifetimes per second with reused children, against plain Perl Parallel::Prefork forking a child per lifetime. */
function lifetimeRate(mode) {
  const params = { total: mode === 'smoke' ? 40 : 2000, maxWorkers: 4 };
  return {
    key: 'lifetime-rate',
    scenario: 'lifetimes',
    variants: ['infinity', 'perl'],
    rounds: rounds(mode, 3),
    params,
    rows: ({ infinity, perl }) => {
      const skipped = perl.lifetimesPerSec === undefined;
      return [
        {
          benchmark: `lifetime rate, ${fmt(params.total, 0)} short lifetimes (one callback, then finish), maxWorkers ${params.maxWorkers}, lifetimesPerChild Infinity; steady rate (once the ${params.maxWorkers} processes are up)`,
          ours: `${fmt(infinity.steadyPerSec, 0)} lifetimes/s (${fmt(infinity.lifetimesPerSec, 0)}/s counting the pool's start-up; last quarter ${fmt(infinity.lastQuarterPerSec, 0)}/s)`,
          baseline: skipped
            ? 'skipped Perl (perl -MParallel::Prefork not available)'
            : `Perl Parallel::Prefork, fork and exit per lifetime: ${fmt(perl.lifetimesPerSec, 0)} children/s`,
          ratio: skipped ? undefined : infinity.steadyPerSec / perl.lifetimesPerSec,
          goal: '≥ 4×',
          met: skipped ? null : verdict(infinity.steadyPerSec >= 4 * perl.lifetimesPerSec, mode),
          chart: skipped ? undefined : { label: 'lifetime rate vs Perl fork', advantage: infinity.steadyPerSec / perl.lifetimesPerSec, goal: 4 },
        },
      ];
    },
  };
}

/**
 * Recycling every 100 lifetimes against never recycling, same run; and against
 * its floor: never recycling plus the process start-ups recycling needs
 * (total ÷ perChild processes, each one lifetime), timed in the same run. On
 * 2 busy cores the costs add up, so the floor is the best recycling can do:
 * Node's start-up (≈ 115 ms of CPU a process on these machines) is most of it.
 */
function recycling(mode) {
  const params = { total: mode === 'smoke' ? 40 : 10_000, maxWorkers: 4, perChild: mode === 'smoke' ? 10 : 100 };
  const processes = Math.round(params.total / params.perChild);
  return {
    key: 'recycling',
    scenario: 'lifetimes',
    variants: ['recycle', 'infinity', 'spawns'],
    rounds: rounds(mode, 3),
    params,
    rows: ({ recycle, infinity, spawns }) => {
      const floorSeconds = params.total / infinity.lifetimesPerSec + processes / spawns.lifetimesPerSec;
      const floorRate = params.total / floorSeconds;
      return [
        {
          benchmark: `recycling, ${fmt(params.total, 0)} lifetimes, lifetimesPerChild ${params.perChild}`,
          ours: `${fmt(recycle.lifetimesPerSec, 0)} lifetimes/s`,
          baseline: `lifetimesPerChild Infinity: ${fmt(infinity.lifetimesPerSec, 0)} lifetimes/s, the last quarter at ${fmt(infinity.lastQuarterPerSec, 0)}/s (the floor in the next row allows at most ${fmt(floorRate / infinity.lifetimesPerSec)}×)`,
          ratio: recycle.lifetimesPerSec / infinity.lifetimesPerSec,
          goal: '≥ 0.5×',
          met: verdict(recycle.lifetimesPerSec >= 0.5 * infinity.lifetimesPerSec, mode),
          chart: { label: 'recycling vs never recycling', advantage: recycle.lifetimesPerSec / infinity.lifetimesPerSec, goal: 0.5 },
        },
        {
          benchmark: `… recycling against its floor: never recycling plus the ${processes} process start-ups it needs (${processes} one-lifetime children, ${fmt(spawns.lifetimesPerSec)}/s)`,
          ours: `${fmt(recycle.lifetimesPerSec, 0)} lifetimes/s`,
          baseline: `floor: ${fmt(floorRate, 0)} lifetimes/s`,
          ratio: recycle.lifetimesPerSec / floorRate,
          goal: '≥ 0.9×',
          met: verdict(recycle.lifetimesPerSec >= 0.9 * floorRate, mode),
          chart: { label: 'recycling vs its floor', advantage: recycle.lifetimesPerSec / floorRate, goal: 0.9 },
        },
      ];
    },
  };
}

function idle(mode) {
  const params = mode === 'smoke' ? { children: 2, idleMs: 300 } : { children: 8, idleMs: 5000 };
  return {
    key: 'idle',
    scenario: 'idle',
    variants: ['ours'],
    rounds: rounds(mode, 3),
    params,
    rows: ({ ours }) => [
      {
        benchmark: `idle manager, ${params.children} children waiting ${params.idleMs / 1000} s`,
        ours: `${fmt(ours.cpuMs)} ms CPU`,
        baseline: '—',
        ratio: undefined,
        goal: '≤ 50 ms',
        met: verdict(ours.cpuMs <= 50, mode),
        budget: [{ label: `idle manager CPU (budget 50 ms)`, used: ours.cpuMs / 50, text: `${fmt(ours.cpuMs)} ms` }],
      },
    ],
  };
}

function sustained(mode) {
  const totalCalls = mode === 'smoke' ? 400 : mode === 'long' ? 1_000_000 : 200_000;
  return {
    key: 'sustained',
    scenario: 'sustained',
    variants: ['ours'],
    rounds: 1,
    params: { children: 4, inFlight: 32, totalCalls },
    nodeFlags: ['--expose-gc'],
    timeoutMs: 600_000,
    rows: ({ ours }) => {
      // A leak keeps growing; a one-time step (V8 growing its young generation) does not.
      const growth = ours.rssEndMb / ours.rssMidMb - 1;
      const heapGrowthMb = ours.heapEndMb - ours.heapStartMb;
      return [
        {
          benchmark: `sustained load, 4 children, ${fmt(totalCalls, 0)} callbacks${mode === 'long' ? '' : ' (1,000,000 with --long)'}`,
          ours: `RSS ${fmt(ours.rssStartMb, 1)} → ${fmt(ours.rssMidMb, 1)} (half-way) → ${fmt(ours.rssEndMb, 1)} MB, heap after GC ${fmt(ours.heapStartMb, 2)} → ${fmt(ours.heapEndMb, 2)} MB`,
          baseline: '—',
          ratio: undefined,
          goal: 'flat: second-half RSS ≤ +5 %, heap ≤ +1 MB',
          met: verdict(growth <= 0.05 && heapGrowthMb <= 1, mode),
          budget: [{ label: 'sustained load, second-half RSS growth (budget +5 %)', used: Math.max(0, growth) / 0.05, text: `${growth >= 0 ? '+' : ''}${fmt(growth * 100, 1)} %` }],
        },
      ];
    },
  };
}

/** Issue 12: jobs/s through a pg-boss queue on an embedded Postgres (each run starts its own server). */
function queue(mode) {
  const params = { jobs: mode === 'smoke' ? 100 : 2000, workers: 2 };
  return {
    key: 'queue',
    scenario: 'queue',
    variants: ['floor', 'one', 'two'],
    rounds: rounds(mode, 3),
    params,
    timeoutMs: 120_000,
    rows: ({ floor, one, two }) => [
      {
        benchmark: `pg-boss queue, ${fmt(params.jobs, 0)} trivial jobs, one \`prefork-ipc --pg-boss\` manager × ${params.workers} workers`,
        ours: `${fmt(one.jobsPerSec, 0)} jobs/s`,
        baseline: `pg-boss's own fetch (batches of 64) + complete, no child processes: ${fmt(floor.jobsPerSec, 0)} jobs/s`,
        ratio: one.jobsPerSec / floor.jobsPerSec,
        goal: '≥ 0.7×',
        met: verdict(one.jobsPerSec >= 0.7 * floor.jobsPerSec, mode),
        chart: { label: 'queue: 1 manager vs pg-boss floor', advantage: one.jobsPerSec / floor.jobsPerSec, goal: 0.7 },
      },
      {
        benchmark: `… two managers × ${params.workers} workers on the same queue (one 2-core machine)`,
        ours: `${fmt(two.jobsPerSec, 0)} jobs/s`,
        baseline: `the floor: ${fmt(floor.jobsPerSec, 0)} jobs/s`,
        ratio: two.jobsPerSec / floor.jobsPerSec,
        goal: 'report',
        met: null,
      },
    ],
  };
}

/** The effect of --batch-size on one manager (not in the smoke run). */
function queueBatch(mode) {
  const sizes = [1, 4, 16, 64];
  return {
    key: 'queue-batch',
    scenario: 'queue',
    variants: sizes.map((n) => `one-b${n}`),
    rounds: rounds(mode, 3),
    params: { jobs: 2000, workers: 2 },
    timeoutMs: 120_000,
    rows: (m) => {
      const best = Math.max(...sizes.map((n) => m[`one-b${n}`].jobsPerSec));
      return sizes.map((n) => ({
        benchmark: `… one manager, --batch-size ${n}`,
        ours: `${fmt(m[`one-b${n}`].jobsPerSec, 0)} jobs/s`,
        baseline: `the best batch size in this run: ${fmt(best, 0)} jobs/s`,
        ratio: m[`one-b${n}`].jobsPerSec / best,
        goal: 'report',
        met: null,
      }));
    },
  };
}

/** Issue 21: what --heartbeat costs in jobs/s (a beat every second, the most frequent), same run. */
function queueHeartbeat(mode) {
  const params = { jobs: mode === 'smoke' ? 100 : 2000, workers: 2 };
  return {
    key: 'queue-heartbeat',
    scenario: 'queue',
    variants: ['one', 'one-hb'],
    rounds: rounds(mode, 3),
    params,
    timeoutMs: 120_000,
    rows: ({ one, 'one-hb': hb }) => [
      {
        benchmark: `pg-boss queue, ${fmt(params.jobs, 0)} trivial jobs, one manager × ${params.workers} workers, \`--heartbeat 1\``,
        ours: `${fmt(hb.steadyJobsPerSec, 0)} jobs/s`,
        baseline: `the same without a heartbeat: ${fmt(one.steadyJobsPerSec, 0)} jobs/s`,
        ratio: hb.steadyJobsPerSec / one.steadyJobsPerSec,
        goal: '≥ 0.95×',
        met: verdict(hb.steadyJobsPerSec >= 0.95 * one.steadyJobsPerSec, mode),
        chart: { label: 'queue: heartbeat on vs off', advantage: hb.steadyJobsPerSec / one.steadyJobsPerSec, goal: 0.95 },
      },
    ],
  };
}

/** Issue 21: a dead host's job back, with a heartbeat and a 1 h lease (30 s heartbeat; 1 s in the smoke run). */
function queueRecovery(mode) {
  const heartbeat = mode === 'smoke' ? 1 : 30;
  const boundMs = (2 * heartbeat + 60) * 1000;
  return {
    key: 'queue-recovery',
    scenario: 'queue',
    variants: [`recovery-hb${heartbeat}`],
    rounds: 1,
    params: { workers: 1 },
    timeoutMs: (2 * heartbeat + 240) * 1000,
    rows: (m) => {
      const { recoveryMs } = m[`recovery-hb${heartbeat}`];
      return [
        {
          benchmark: `pg-boss queue, a host SIGKILLed while its job runs: time until another host has completed it, \`--heartbeat ${heartbeat}\`, lease 3,600 s`,
          ours: `${fmt(recoveryMs / 1000, 1)} s`,
          baseline: `2 × heartbeat + 60 s: ${fmt(boundMs / 1000, 0)} s (the lease alone: 3,600 s + a maintenance pass)`,
          ratio: recoveryMs / boundMs,
          goal: '≤ 1.0×',
          met: verdict(recoveryMs <= boundMs, mode),
        },
      ];
    },
  };
}

/** Hello-world HTTP, 2 children on the manager's socket (kernel and round-robin balance) against node:cluster's round-robin and one process. */
function http(mode) {
  const params = mode === 'smoke' ? { children: 2, connections: 10, seconds: 1 } : { children: 2, connections: 50, seconds: 5 };
  return {
    key: 'http',
    scenario: 'http',
    variants: ['ours', 'ours-nobeat', 'ours-rr', 'cluster', 'single'],
    rounds: rounds(mode, 5),
    params,
    rows: ({ ours, 'ours-nobeat': nobeat, 'ours-rr': rr, cluster, single }) => [
      {
        benchmark: `hello-world HTTP, ${params.children} children, autocannon ${params.connections} keep-alive connections × ${params.seconds} s`,
        ours: `${fmt(ours.reqPerSec, 0)} req/s, p50 ${fmt(ours.p50, 0)} ms, p99 ${fmt(ours.p99, 0)} ms`,
        baseline: `node:cluster round-robin, ${params.children} workers: ${fmt(cluster.reqPerSec, 0)} req/s, p50 ${fmt(cluster.p50, 0)} ms, p99 ${fmt(cluster.p99, 0)} ms`,
        ratio: ours.reqPerSec / cluster.reqPerSec,
        goal: '≥ 1.0×',
        met: verdict(ours.reqPerSec >= cluster.reqPerSec, mode),
        chart: { label: 'HTTP req/s vs node:cluster', advantage: ours.reqPerSec / cluster.reqPerSec, goal: 1 },
      },
      {
        benchmark: "… with balance: 'round-robin' (the manager deals the connections out)",
        ours: `${fmt(rr.reqPerSec, 0)} req/s, p50 ${fmt(rr.p50, 0)} ms, p99 ${fmt(rr.p99, 0)} ms`,
        baseline: `node:cluster round-robin: ${fmt(cluster.reqPerSec, 0)} req/s`,
        ratio: rr.reqPerSec / cluster.reqPerSec,
        goal: '≥ 1.0×',
        met: verdict(rr.reqPerSec >= cluster.reqPerSec, mode),
      },
      {
        benchmark: '… with the beat and serve()\'s status (default) against without (beatInterval: null)',
        ours: `${fmt(ours.reqPerSec, 0)} req/s`,
        baseline: `no beat: ${fmt(nobeat.reqPerSec, 0)} req/s`,
        ratio: ours.reqPerSec / nobeat.reqPerSec,
        goal: '≥ 0.98×',
        met: verdict(ours.reqPerSec >= 0.98 * nobeat.reqPerSec, mode),
      },
      {
        benchmark: '… the same runs against one process',
        ours: `${fmt(ours.reqPerSec, 0)} req/s`,
        baseline: `a single process: ${fmt(single.reqPerSec, 0)} req/s, p50 ${fmt(single.p50, 0)} ms, p99 ${fmt(single.p99, 0)} ms`,
        ratio: ours.reqPerSec / single.reqPerSec,
        goal: 'report',
        met: null,
      },
    ],
  };
}

/** Requests per child, 4 children on one socket: the busiest ÷ the least busy, kernel balance (with and without UV_TCP_SINGLE_ACCEPT=1, maxRequestsPerConnection) and round-robin. */
function httpBalance(mode, keepAlive) {
  const params = mode === 'smoke' ? { children: 4, connections: 10, seconds: 1, keepAlive } : { children: 4, connections: 50, seconds: 5, keepAlive };
  const what = keepAlive ? `keep-alive on (${params.connections} long connections)` : 'keep-alive off (a connection per request)';
  return {
    key: `http-balance-${keepAlive ? 'keepalive' : 'close'}`,
    scenario: 'http',
    variants: mode === 'smoke' ? ['ours', 'ours-rr', 'cluster'] : ['ours', 'ours-rr', 'ours-single', 'ours-mrpc100', 'ours-mrpc1000', 'cluster'],
    rounds: rounds(mode, 3),
    params,
    rows: ({ ours, 'ours-rr': rr, 'ours-single': single, 'ours-mrpc100': mrpc100, 'ours-mrpc1000': mrpc1000, cluster }) => [
      {
        benchmark: `balance, 4 children, ${what}: busiest ÷ least busy child`,
        ours: `${fmt(ours.busiestOverLeast)}× (${fmt(ours.reqPerSec, 0)} req/s)`,
        baseline: `node:cluster round-robin: ${fmt(cluster.busiestOverLeast)}× (${fmt(cluster.reqPerSec, 0)} req/s)`,
        ratio: undefined,
        goal: '≤ 1.5',
        met: verdict(ours.busiestOverLeast <= 1.5, mode),
      },
      {
        benchmark: "… with balance: 'round-robin' (the manager deals the connections out)",
        ours: `${fmt(rr.busiestOverLeast)}× (${fmt(rr.reqPerSec, 0)} req/s)`,
        baseline: `node:cluster round-robin: ${fmt(cluster.busiestOverLeast)}× (${fmt(cluster.reqPerSec, 0)} req/s)`,
        ratio: undefined,
        goal: '≤ 1.5',
        met: verdict(rr.busiestOverLeast <= 1.5, mode),
      },
      ...(single
        ? [
            {
              benchmark: '… with UV_TCP_SINGLE_ACCEPT=1 in the children',
              ours: `${fmt(single.busiestOverLeast)}× (${fmt(single.reqPerSec, 0)} req/s)`,
              baseline: '—',
              ratio: undefined,
              goal: 'report',
              met: null,
            },
            ...[
              [100, mrpc100],
              [1000, mrpc1000],
            ].map(([n, m]) => ({
              benchmark: `… with serve({ maxRequestsPerConnection: ${n} })`,
              ours: `${fmt(m.busiestOverLeast)}× (${fmt(m.reqPerSec, 0)} req/s)`,
              baseline: '—',
              ratio: undefined,
              goal: keepAlive ? '≤ 1.5' : 'report',
              met: keepAlive ? verdict(m.busiestOverLeast <= 1.5, mode) : null,
            })),
          ]
        : []),
    ],
  };
}

/**
 * Hello-world HTTP while every child is recycled by age (replacement first), against the same
 * pool not recycling, same run. What it costs is mostly cold children: a fresh child serves a
 * fraction of a warm one's rate for its first seconds (the JIT; ≈ 2 s under load on the 2-core
 * machine), so short ages are expensive whatever the recycling does. 0 failed requests is the
 * hard requirement: the scenario throws on any.
 */
function httpRecycling(mode) {
  const params = mode === 'smoke' ? { children: 2, connections: 10, seconds: 2 } : { children: 2, connections: 50, seconds: 9 };
  const age = 3000;
  return {
    key: 'http-recycling',
    scenario: 'http',
    variants: ['ours', `ours-age${age}`],
    rounds: rounds(mode, 3),
    params,
    rows: ({ ours, [`ours-age${age}`]: recycled }) => [
      {
        benchmark: `hello-world HTTP, ${params.children} children each recycled after ${age / 1000}–${(age * 1.2) / 1000} s (maxChildAge ${age}, ageJitter ${age / 5}), ${params.seconds} s: p99 latency (0 failed requests, or the run fails)`,
        ours: `p99 ${fmt(recycled.p99, 0)} ms, ${fmt(recycled.processes, 0)} processes in the run`,
        baseline: `the same pool, no recycling: p99 ${fmt(ours.p99, 0)} ms`,
        ratio: recycled.p99 / Math.max(1, ours.p99),
        goal: 'report',
        met: null,
      },
      {
        benchmark: '… throughput while recycling (fresh children are cold: see the comment in bench/plan.js)',
        ours: `${fmt(recycled.reqPerSec, 0)} req/s`,
        baseline: `no recycling: ${fmt(ours.reqPerSec, 0)} req/s`,
        ratio: recycled.reqPerSec / ours.reqPerSec,
        goal: 'report',
        met: null,
      },
    ],
  };
}

/** Issue 19: status() and a metrics scrape answered from memory while every child is busy. */
function spareWorkers(mode) {
  const params =
    mode === 'smoke'
      ? { maxWorkers: 6, jobs: 30, jobMs: 20, idleMs: 500, minSpare: 1, maxSpare: 2 }
      : { maxWorkers: 16, jobs: 200, jobMs: 20, idleMs: 5000, minSpare: 2, maxSpare: 4 };
  return {
    key: 'spare-workers',
    scenario: 'spare-workers',
    variants: ['spare', 'fixed'],
    rounds: rounds(mode, 3),
    params,
    rows: ({ spare, fixed }) => [
      {
        benchmark: `a burst of ${params.jobs} jobs (${params.jobMs} ms each) arriving at once: spare workers (${params.minSpare}–${params.maxSpare} idle, ≤ ${params.maxWorkers}) vs a fixed pool of ${params.maxWorkers}`,
        ours: `${fmt(spare.burstMs, 0)} ms`,
        baseline: `${fmt(fixed.burstMs, 0)} ms`,
        ratio: spare.burstMs / fixed.burstMs,
        goal: 'measured (the start-ups the fixed pool paid beforehand)',
        met: null,
      },
      {
        benchmark: `idle manager CPU over ${params.idleMs / 1000} s with spare workers on (${fmt(spare.aliveWhenIdle, 0)} children) vs a fixed pool of ${params.maxWorkers}`,
        ours: `${fmt(spare.idleCpuMs)} ms CPU`,
        baseline: `${fmt(fixed.idleCpuMs)} ms CPU`,
        ratio: undefined,
        goal: '≤ 50 ms',
        met: verdict(spare.idleCpuMs <= 50, mode),
        budget: [{ label: 'idle manager CPU with spare workers (budget 50 ms)', used: spare.idleCpuMs / 50, text: `${fmt(spare.idleCpuMs)} ms` }],
      },
    ],
  };
}

function scoreboard(mode) {
  const params = mode === 'smoke' ? { children: 4, series: 100, calls: 3, busyMs: 20_000 } : { children: 32, series: 1000, calls: 20, busyMs: 60_000 };
  return {
    key: 'scoreboard',
    scenario: 'scoreboard',
    variants: ['ours'],
    rounds: rounds(mode, 3),
    params,
    rows: ({ ours }) => [
      {
        benchmark: `ppi.status(), ${params.children} children, every one busy`,
        ours: `${fmt(ours.statusMs, 3)} ms`,
        baseline: '—',
        ratio: undefined,
        goal: '< 5 ms',
        met: verdict(ours.statusMs < 5, mode),
        budget: [{ label: 'status() with 32 busy children (budget 5 ms)', used: ours.statusMs / 5, text: `${fmt(ours.statusMs, 3)} ms` }],
      },
      {
        benchmark: `ppi.metrics() scrape, ${params.children} busy children × ${fmt(params.series, 0)} series each (summed: ${fmt(params.series, 0)} series, ${fmt(ours.metricsKb, 0)} kB)`,
        // Wall time is the goal; the CPU time beside it tells our work from the machine's load.
        ours: `${fmt(ours.metricsMs, 1)} ms (CPU ${fmt(ours.metricsCpuMs, 1)} ms)`,
        baseline: '—',
        ratio: undefined,
        goal: '< 20 ms',
        met: verdict(ours.metricsMs < 20, mode),
        budget: [{ label: 'metrics scrape, 32 children × 1,000 series (budget 20 ms)', used: ours.metricsMs / 20, text: `${fmt(ours.metricsMs, 1)} ms` }],
      },
    ],
  };
}

/** Issue 18: a rolling reload under load, gated (the default with `listen`) against Perl's ungated one. */
function reload(mode) {
  const params =
    mode === 'smoke'
      ? { children: 2, connections: 5, rest: 1, seconds: 2, intervalMs: 100, rate: 500 }
      : { children: 4, connections: 20, rest: 3, seconds: 4, intervalMs: 200, rate: 2000 };
  return {
    key: 'reload',
    scenario: 'reload',
    variants: ['gated-rate', 'gated', 'ungated', 'gated-rr'],
    rounds: rounds(mode, 3),
    params,
    rows: ({ 'gated-rate': paced, gated, ungated, 'gated-rr': roundRobin }) => [
      {
        benchmark: `rolling reload (HUP: ['TERM', ${params.intervalMs}]), ${params.children} children, a keep-alive client on ${params.connections} connections at a steady ${fmt(params.rate, 0)} req/s: p99 during the reload vs at rest (0 failed requests, or the run fails)`,
        ours: `p99 ${fmt(paced.p99Reload, 0)} ms during`,
        baseline: `the same pool at rest: p99 ${fmt(paced.p99Rest, 0)} ms`,
        ratio: paced.p99Reload / Math.max(1, paced.p99Rest),
        goal: '≤ 2×',
        met: verdict(paced.p99Reload <= 2 * Math.max(1, paced.p99Rest), mode),
      },
      {
        benchmark: `… autocannon, ${params.connections} connections as fast as the machine goes (2 cores saturated: each new process's start-up takes CPU from the serving ones)`,
        ours: `p99 ${fmt(gated.p99Reload, 0)} ms during, ${fmt(gated.reqPerSecReload, 0)} req/s`,
        baseline: `at rest: p99 ${fmt(gated.p99Rest, 0)} ms, ${fmt(gated.reqPerSecRest, 0)} req/s`,
        ratio: gated.p99Reload / Math.max(1, gated.p99Rest),
        goal: 'report',
        met: null,
      },
      {
        benchmark: `… under balance: 'round-robin', autocannon as fast as the machine goes: throughput during the reload against at rest (every serving child not told to stop is dealt to, old generation or new)`,
        ours: `${fmt(roundRobin.reqPerSecReload, 0)} req/s during (p99 ${fmt(roundRobin.p99Reload, 0)} ms)`,
        baseline: `at rest: ${fmt(roundRobin.reqPerSecRest, 0)} req/s (p99 ${fmt(roundRobin.p99Rest, 0)} ms)`,
        ratio: roundRobin.reqPerSecReload / Math.max(1, roundRobin.reqPerSecRest),
        goal: 'report',
        met: null,
      },
      {
        benchmark: '… reload time (the HUP to the last old child gone), gated against ungated',
        ours: `${fmt(gated.reloadMs, 0)} ms`,
        baseline: `gatedReload: false: ${fmt(ungated.reloadMs, 0)} ms (p99 during ${fmt(ungated.p99Reload, 0)} ms)`,
        ratio: gated.reloadMs / Math.max(1, ungated.reloadMs),
        goal: 'report',
        met: null,
      },
    ],
  };
}

function plan(mode) {
  return [
    roundTrip(mode),
    throughput(mode),
    finalPayload(mode, 1),
    ...(mode === 'smoke' ? [] : [finalPayload(mode, 10), finalPayload(mode, 100)]),
    spawnRate(mode),
    lifetimeRate(mode),
    recycling(mode),
    idle(mode),
    sustained(mode),
    queue(mode),
    ...(mode === 'smoke' ? [] : [queueBatch(mode)]),
    queueHeartbeat(mode),
    queueRecovery(mode),
    scoreboard(mode),
    spareWorkers(mode),
    http(mode),
    httpBalance(mode, true),
    httpBalance(mode, false),
    httpRecycling(mode),
    reload(mode),
  ];
}

module.exports = { plan };
