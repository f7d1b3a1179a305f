/**
 * Start time of the single binary beside a bare `node -e 0` of the Node it embeds, run interleaved so machine load
 * hits both alike. Usage: npm run bench:start [-- --runs 30 --binary dist/kimauth --node PATH]
 * Target (issue 14): `kimauth --version` and `kimauth users list` within 1.3x of bare node.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { nodeRuntime } from './node-runtime.ts';

const arg = (name: string) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
};
const RUNS = Number(arg('--runs') ?? 30);
const BINARY = path.resolve(arg('--binary') ?? 'dist/kimauth');
const NODE = arg('--node') ?? nodeRuntime().node;

/** CPU seconds used by this process's waited-for children (utime + stime of /proc/self/stat, in clock ticks). */
function childCpuSeconds(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

function run(argv: string[], env: NodeJS.ProcessEnv): { ms: number; cpu: number } {
  const cpu = childCpuSeconds();
  const started = performance.now();
  const result = spawnSync(argv[0], argv.slice(1), { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - started;
  if (result.status !== 0) throw new Error(`${argv.join(' ')} exited ${result.status}: ${result.stderr}`);
  return { ms, cpu: childCpuSeconds() - cpu };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const dir = mkdtempSync(path.join(tmpdir(), 'kimauth-bench-start-'));
const dataDir = path.join(dir, 'data');
const env = { PATH: process.env.PATH, XDG_CACHE_HOME: path.join(dir, 'cache'), KIMAUTH_DATA_DIR: dataDir };
try {
  run([BINARY, 'init', '--yes', '--admin-email', 'bench@example.com', '--json'], env);
  const scenarios: Record<string, string[]> = {
    'node -e 0': [NODE, '-e', '0'],
    'kimauth --version': [BINARY, '--version'],
    'kimauth users list': [BINARY, 'users', 'list', '--json'],
  };
  const samples = Object.fromEntries(Object.keys(scenarios).map((name) => [name, { ms: [] as number[], cpu: 0 }]));
  for (let i = 0; i < RUNS; i++) {
    for (const [name, argv] of Object.entries(scenarios)) {
      const r = run(argv, env);
      samples[name].ms.push(r.ms);
      samples[name].cpu += r.cpu;
    }
  }
  console.log(`machine: ${availableParallelism()} CPUs, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}; ${RUNS} interleaved runs each`);
  console.log(`binary: ${BINARY} ${(statSync(BINARY).size / 2 ** 20).toFixed(1)} MiB; node: ${NODE}`);
  const base = median(samples['node -e 0'].ms);
  const baseCpu = samples['node -e 0'].cpu / RUNS;
  for (const [name, s] of Object.entries(samples)) {
    const wall = median(s.ms);
    const cpu = s.cpu / RUNS;
    console.log(
      `${name.padEnd(20)} median ${wall.toFixed(0).padStart(4)} ms (${(wall / base).toFixed(2)}x)` +
        `   cpu ${(cpu * 1000).toFixed(0).padStart(4)} ms (${(cpu / baseCpu).toFixed(2)}x)`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
