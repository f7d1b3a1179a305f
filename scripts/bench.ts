/**
 * `npm run bench`: drives a real `kimauth serve` process (its own temp data dir, loopback only) with autocannon
 * and compares each route with this machine's limits, measured in the same run:
 *   - RS256 signatures/s on one core (a synchronous crypto.sign loop with a 2048-bit key), the cost floor of
 *     /auth/refresh (one DB transaction + one signature);
 *   - argon2id hashes/s with kimauth's parameters at the login bench's concurrency, the floor of /auth/login.
 * Targets: refresh ≥ 60 % of the RS256 rate, login ≥ 80 % of the argon2id rate, /auth/me ≥ 5,000 req/s.
 * Exit code 1 when a target is missed.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { hash } from '@node-rs/argon2';
import { ARGON2_PARAMS } from '../src/identity/passwords.ts';
import { runKimauth, startServeProcess } from '../test/support/processes.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const LOGIN_CONNECTIONS = 4;
const EMAIL = 'bench@example.com';
const PASSWORD = 'bench-password-1';

interface RouteResult {
  route: string;
  connections: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

function rsaSignaturesPerSecond(): number {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const input = Buffer.from('eyJhbGciOiJSUzI1NiJ9.' + 'x'.repeat(400));
  for (let i = 0; i < 50; i++) sign('sha256', input, privateKey); // warm-up
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < 1500) {
    sign('sha256', input, privateKey);
    n++;
  }
  return n / ((performance.now() - start) / 1000);
}

async function argon2HashesPerSecond(concurrency: number): Promise<number> {
  await hash('warm-up', ARGON2_PARAMS);
  let n = 0;
  const start = performance.now();
  const deadline = start + 3000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        await hash('correct horse battery staple', ARGON2_PARAMS);
        n++;
      }
    }),
  );
  return n / ((performance.now() - start) / 1000);
}

async function drive(route: string, options: autocannon.Options): Promise<RouteResult> {
  const result = await autocannon({ duration: SECONDS, ...options });
  return {
    route,
    connections: options.connections ?? 10,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'kimauth-bench-'));
  const dataDir = path.join(dir, 'data');
  const env = { KIMAUTH_RATE_LIMIT_PER_MINUTE: '1000000' };
  try {
    const init = await runKimauth(['--data-dir', dataDir, 'init', '--yes', '--admin-email', EMAIL, '--admin-password-stdin', '--json'], {
      stdin: PASSWORD,
      env,
    });
    if (init.code !== 0) throw new Error(`init failed: ${init.stderr}`);

    // Limits first, while nothing else runs.
    console.error('measuring limits…');
    const rsaRate = rsaSignaturesPerSecond();
    const argonRate = await argon2HashesPerSecond(LOGIN_CONNECTIONS);

    const server = await startServeProcess(dataDir, { env });
    try {
      const url = server.url;
      const post = async (p: string, body: unknown) => {
        const res = await fetch(url + p, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        return (await res.json()) as { data: { accessToken: string; refreshToken: string } };
      };
      const loginBody = JSON.stringify({ email: EMAIL, password: PASSWORD, accountType: '' });
      const first = await post('/auth/login', JSON.parse(loginBody));
      const bearer = `Bearer ${first.data.accessToken}`;

      // Every refresh spends its token; a pool hands each in-flight request an unspent one and takes back the new one.
      const REFRESH_CONNECTIONS = 16;
      const pool: string[] = [];
      for (let i = 0; i < REFRESH_CONNECTIONS * 2; i++) pool.push((await post('/auth/login', JSON.parse(loginBody))).data.refreshToken);

      const results: RouteResult[] = [];
      console.error('benchmarking routes…');
      results.push(
        await drive('POST /auth/login', {
          url: url + '/auth/login',
          method: 'POST',
          connections: LOGIN_CONNECTIONS,
          headers: { 'content-type': 'application/json' },
          body: loginBody,
        }),
      );
      results.push(
        await drive('POST /auth/refresh', {
          url,
          connections: REFRESH_CONNECTIONS,
          requests: [
            {
              method: 'POST',
              path: '/auth/refresh',
              headers: { 'content-type': 'application/json' },
              setupRequest: (req) => ({ ...req, body: JSON.stringify({ refreshToken: pool.shift() }) }),
              onResponse: (status, body) => {
                if (status === 200) pool.push((JSON.parse(body) as { data: { refreshToken: string } }).data.refreshToken);
              },
            },
          ],
        }),
      );
      results.push(await drive('GET /auth/me', { url: url + '/auth/me', connections: 32, headers: { authorization: bearer } }));
      results.push(await drive('GET /.well-known/jwks.json', { url: url + '/.well-known/jwks.json', connections: 32 }));

      const limits: Record<string, { name: string; rate: number; target: number } | { name: string; absolute: number }> = {
        'POST /auth/login': { name: `argon2id hashes/s ×${LOGIN_CONNECTIONS}`, rate: argonRate, target: 0.8 },
        'POST /auth/refresh': { name: 'RS256 signs/s, 1 core', rate: rsaRate, target: 0.6 },
        'GET /auth/me': { name: 'target 5,000 req/s', absolute: 5000 },
      };
      console.log(`\nkimauth bench — ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, ${SECONDS}s per route`);
      console.log(`limits: RS256 ${rsaRate.toFixed(0)} signs/s on one core; argon2id (19 MiB, t=2, p=1) ${argonRate.toFixed(1)} hashes/s at concurrency ${LOGIN_CONNECTIONS}\n`);
      console.log(['route'.padEnd(28), 'conn', 'req/s'.padStart(9), 'p50 ms', 'p99 ms', 'non2xx', 'vs limit'].join('  '));
      let missed = 0;
      for (const r of results) {
        const limit = limits[r.route];
        let verdict = '';
        if (limit && 'rate' in limit) {
          const ratio = r.rps / limit.rate;
          const met = ratio >= limit.target;
          if (!met) missed++;
          verdict = `${(ratio * 100).toFixed(0)} % of ${limit.name} (target ≥ ${limit.target * 100} %) ${met ? 'ok' : 'MISSED'}`;
        } else if (limit && 'absolute' in limit) {
          const met = r.rps >= limit.absolute;
          if (!met) missed++;
          verdict = `${limit.name} ${met ? 'ok' : 'MISSED'}`;
        }
        console.log(
          [r.route.padEnd(28), String(r.connections).padStart(4), r.rps.toFixed(0).padStart(9), String(r.p50).padStart(6), String(r.p99).padStart(6), String(r.non2xx + r.errors).padStart(6), verdict].join('  '),
        );
      }
      process.exitCode = missed ? 1 : 0;
    } finally {
      await server.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
