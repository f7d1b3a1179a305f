/**
 * `npm run bench:agents`: agent token exchange and the authorization check against a real `kimauth serve`
 * process, with this machine's one-core RS256 signing rate measured in the same run.
 * Targets (issue 16): exchange ≥ 80 % of the RS256 rate; POST /t/{slug}/v1/authorize with a token subject
 * ≥ 10,000 checks/s per process, and in batches of 100 ≥ 100,000 checks/s. Exit code 1 when one is missed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { runKimauth, startServeProcess } from '../test/support/processes.ts';
import { average, drive, rsaSignaturesPerSecond, SECONDS, type RouteResult } from './bench-support.ts';

const EMAIL = 'bench@example.com';
const PASSWORD = 'bench-password-1';
const BATCH = 100;

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'kimauth-bench-agents-'));
  const dataDir = path.join(dir, 'data');
  const env = { KIMAUTH_RATE_LIMIT_PER_MINUTE: '1000000', KIMAUTH_AGENT_TOKEN_RATE_PER_MINUTE: '10000000' };
  const cli = async (...args: string[]) => {
    const res = await runKimauth(['--data-dir', dataDir, ...args, '--json'], { env });
    if (res.code !== 0) throw new Error(`kimauth ${args.join(' ')} failed: ${res.stderr}`);
    return JSON.parse(res.stdout) as Record<string, unknown>;
  };
  try {
    const init = await runKimauth(['--data-dir', dataDir, 'init', '--yes', '--admin-email', EMAIL, '--admin-password-stdin', '--json'], { stdin: PASSWORD, env });
    if (init.code !== 0) throw new Error(`init failed: ${init.stderr}`);
    await cli('tenants', 'create', '--slug', 'acme', '--name', 'Acme');
    const owner = (await cli('users', 'create', '--email', 'owner@acme.test', '--name', 'Owner')).id as string;
    await cli('users', 'memberships', 'set', owner, '--tenant', 'acme', '--role', 'SUBMITTER');
    await cli('users', 'access', 'set', owner, '--tenant', 'acme', '--permissions', 'publish:article,sync:orders');
    const created = await cli('agents', 'create', '--tenant', 'acme', '--name', 'bench', '--owner', owner, '--permissions', 'publish:article', '--audience', 'cms');
    const apiToken = created.token as string;
    await cli('tenants', 'owner-policy', 'set', 'acme', '--type', 'article', '--actions', 'edit,publish');
    await cli('ownership', 'set', 'cms/article/42', '--tenant', 'acme', '--owner', `user:${owner}`);

    const loadBefore = loadavg()[0];
    const server = await startServeProcess(dataDir, { env });
    try {
      const { url } = server;
      const pid = server.child.pid!;
      const json = async (p: string, body: unknown, authorization?: string) => {
        const res = await fetch(url + p, { method: 'POST', headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) }, body: JSON.stringify(body) });
        return (await res.json()) as { data: Record<string, unknown> };
      };
      const platform = `Bearer ${(await json('/auth/login', { email: EMAIL, password: PASSWORD, accountType: '' })).data.accessToken}`;
      const subject = (await json('/t/acme/v1/agents/token', {}, `Bearer ${apiToken}`)).data.access_token as string;
      const oneCheck = { subject, action: 'publish', resource: { app: 'cms', type: 'article', id: '42' } };
      const probe = await json('/t/acme/v1/authorize', oneCheck, platform);
      if (probe.data.allowed !== true) throw new Error(`the bench check is not allowed: ${JSON.stringify(probe)}`);
      const batch = { checks: Array.from({ length: BATCH }, (_, i) => ({ ...oneCheck, resource: { app: 'cms', type: 'article', id: i % 2 ? '42' : `other-${i}` } })) };

      console.error('benchmarking agents…');
      const rsaBefore = rsaSignaturesPerSecond();
      const results: RouteResult[] = [];
      results.push(
        await drive('POST /t/acme/v1/agents/token', pid, {
          url: `${url}/t/acme/v1/agents/token`,
          method: 'POST',
          connections: 16,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${apiToken}` },
          body: '{}',
        }),
      );
      const rsa = average(rsaBefore, rsaSignaturesPerSecond());
      const headers = { 'content-type': 'application/json', authorization: platform };
      results.push(await drive('POST /t/acme/v1/authorize', pid, { url: `${url}/t/acme/v1/authorize`, method: 'POST', connections: 32, headers, body: JSON.stringify(oneCheck) }));
      results.push(await drive(`… batch of ${BATCH}`, pid, { url: `${url}/t/acme/v1/authorize`, method: 'POST', connections: 8, headers, body: JSON.stringify(batch) }));

      const [exchange, single, batched] = results;
      const checks = [
        {
          name: 'agent token exchange',
          wall: exchange.rps / rsa.rate,
          cpu: exchange.perEventLoopCpuSecond / rsa.perCpuSecond,
          target: 0.8,
          unit: 'of the RS256 rate',
        },
      ];
      console.log(`\nkimauth bench:agents — ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, ${SECONDS}s per route, loopback`);
      console.log(`load average (1 min): ${loadBefore.toFixed(2)} before, ${loadavg()[0].toFixed(2)} after`);
      console.log(`limit: RS256 ${rsa.rate.toFixed(0)} signs/s on one core (${rsa.perCpuSecond.toFixed(0)} per CPU-s)\n`);
      console.log(['route'.padEnd(30), 'conn', 'req/s'.padStart(7), 'p50 ms', 'p99 ms', 'errors', 'req/CPU-s event loop'].join('  '));
      for (const r of results) {
        console.log([r.route.padEnd(30), String(r.connections).padStart(4), r.rps.toFixed(0).padStart(7), String(r.p50).padStart(6), String(r.p99).padStart(6), String(r.non2xx + r.errors).padStart(6), r.perEventLoopCpuSecond.toFixed(0).padStart(20)].join('  '));
      }
      console.log('');
      let missed = 0;
      for (const c of checks) {
        const met = Math.max(c.wall, c.cpu) >= c.target;
        if (!met) missed++;
        console.log(`${c.name}: ${(c.wall * 100).toFixed(0)} % wall | ${(c.cpu * 100).toFixed(0)} % per CPU-s ${c.unit}; target ≥ ${c.target * 100} % ${met ? 'ok' : 'MISSED'}`);
      }
      const perSecond = (r: RouteResult, n: number) => Math.max(r.rps, r.perEventLoopCpuSecond) * n;
      for (const [name, r, n, target] of [['authorize, token subject', single, 1, 10_000], [`authorize, batches of ${BATCH}`, batched, BATCH, 100_000]] as const) {
        const rate = perSecond(r, n);
        const met = rate >= target;
        if (!met) missed++;
        console.log(`${name}: ${(r.rps * n).toFixed(0)} checks/s wall, ${(r.perEventLoopCpuSecond * n).toFixed(0)} per event-loop CPU-s; target ≥ ${target.toLocaleString('en')} ${met ? 'ok' : 'MISSED'}`);
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
