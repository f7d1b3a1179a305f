/**
 * What every `npm run bench*` script shares: this machine's limits measured in the same run (RS256 signatures on
 * one core, argon2id hashes), and a route driven with autocannon against a real `kimauth serve` process, counted
 * by wall clock and by the server's CPU time.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { hash } from '@node-rs/argon2';
import { ARGON2_PARAMS } from '../src/identity/passwords.ts';

export const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);

export interface RouteResult {
  route: string;
  /** Requests served per CPU second of the server process (all threads: argon2 runs on the thread pool). */
  perServerCpuSecond: number;
  /** Requests served per CPU second of the server's event-loop thread: what one process can do on one core. */
  perEventLoopCpuSecond: number;
  connections: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/**
 * CPU seconds (user + system) used so far, from /proc (Linux): of the whole process (all threads), or of its
 * event-loop thread only (`/proc/<pid>/task/<pid>`), the one core a single kimauth process serializes on.
 */
export function processCpuSeconds(pid: number, thread: 'process' | 'event-loop' = 'process'): number {
  try {
    const file = thread === 'process' ? `/proc/${pid}/stat` : `/proc/${pid}/task/${pid}/stat`;
    const fields = readFileSync(file, 'utf8').split(') ')[1].split(' ');
    const own = (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
    if (thread === 'event-loop') return own;
    // The process figure includes serve's helper processes (its WAL checkpointer works for it).
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    return own + children.reduce((sum, child) => sum + processCpuSeconds(child), 0);
  } catch {
    return Number.NaN;
  }
}

export const ownCpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

export interface Limit {
  /** Per wall-clock second. */
  rate: number;
  /** Per CPU second: what the work costs, whatever else the machine is doing. */
  perCpuSecond: number;
}

export function rsaSignaturesPerSecond(): Limit {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const input = Buffer.from('eyJhbGciOiJSUzI1NiJ9.' + 'x'.repeat(400));
  for (let i = 0; i < 50; i++) sign('sha256', input, privateKey); // warm-up
  const start = performance.now();
  const cpuStart = ownCpuSeconds();
  let n = 0;
  while (performance.now() - start < 1500) {
    sign('sha256', input, privateKey);
    n++;
  }
  return { rate: n / ((performance.now() - start) / 1000), perCpuSecond: n / (ownCpuSeconds() - cpuStart) };
}

export async function argon2HashesPerSecond(concurrency: number): Promise<Limit> {
  await hash('warm-up', ARGON2_PARAMS);
  let n = 0;
  const start = performance.now();
  const cpuStart = ownCpuSeconds();
  const deadline = start + 3000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        await hash('correct horse battery staple', ARGON2_PARAMS);
        n++;
      }
    }),
  );
  return { rate: n / ((performance.now() - start) / 1000), perCpuSecond: n / (ownCpuSeconds() - cpuStart) };
}

export const average = (a: Limit, b: Limit): Limit => ({ rate: (a.rate + b.rate) / 2, perCpuSecond: (a.perCpuSecond + b.perCpuSecond) / 2 });

export async function drive(route: string, serverPid: number, options: autocannon.Options): Promise<RouteResult> {
  const cpuBefore = processCpuSeconds(serverPid);
  const loopBefore = processCpuSeconds(serverPid, 'event-loop');
  const result = await autocannon({ duration: SECONDS, ...options });
  const served = result.requests.total;
  return {
    route,
    perServerCpuSecond: served / (processCpuSeconds(serverPid) - cpuBefore),
    perEventLoopCpuSecond: served / (processCpuSeconds(serverPid, 'event-loop') - loopBefore),
    connections: options.connections ?? 10,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

