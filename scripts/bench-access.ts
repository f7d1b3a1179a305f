/**
 * Throughput of GET /auth/me/access when cached: a real server (startServer, port 0) on a temp data dir, one
 * member with grants in one company, driven by autocannon. Prints req/s and exits 1 below the target.
 *
 *   npm run bench:access                 # 10 s, 50 connections
 *   npm run bench:access -- 20 100       # seconds, connections
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { loadConfig } from '../src/app/config.ts';
import { buildDeps } from '../src/app/deps.ts';
import { initInstance } from '../src/app/instance.ts';
import { startServer } from '../src/http/runtime.ts';
import { createTenant } from '../src/tenants/tenants.ts';
import { createUser } from '../src/identity/users.ts';
import { upsertCompanyMembership } from '../src/memberships/memberships.ts';
import { setCompanyEntitlements } from '../src/access/entitlements.ts';
import { writeGrants } from '../src/access/membership-access.ts';
import { startSession } from '../src/sessions/sessions.ts';
import { issueAccessToken } from '../src/tokens/access-tokens.ts';

const TARGET_RPS = 5_000;
const seconds = Number(process.argv[2] ?? 10);
const connections = Number(process.argv[3] ?? 50);
const actor = { type: 'operator', id: 'bench', channel: 'cli' } as const;

const dataDir = mkdtempSync(path.join(tmpdir(), 'kimauth-bench-access-'));
try {
  const env = { KIMAUTH_LOG_LEVEL: 'warn' };
  await initInstance({ config: loadConfig({ flags: { dataDir }, env, ignoreFile: true }), adminEmail: 'ops@bench.test', actor });
  const config = loadConfig({ flags: { dataDir, accessTokenTtl: 3600 }, env });
  const deps = buildDeps({ config, migrate: true });
  const acme = await createTenant(deps, { slug: 'acme', name: 'Acme' }, actor);
  setCompanyEntitlements(deps, acme, ['basic', 'finance', 'market'], actor);
  const user = await createUser(deps, { email: 'member@bench.test', fullName: 'Member', approvalStatus: 'APPROVED', isActive: true }, actor);
  upsertCompanyMembership(deps, actor, acme.id, { userId: user.id, role: 'ADMIN' });
  deps.sqlite.transaction(() =>
    writeGrants(deps, acme.id, user.id, { modules: ['basic', 'finance'], permissions: ['finance.expense.view', 'basic.dashboard', 'market.view'] }, actor),
  )();
  const { session } = deps.sqlite.transaction(() => startSession(deps, user.id))();
  const { accessToken } = await issueAccessToken(deps, user, session);

  const server = await startServer(deps, { host: '127.0.0.1', port: 0 });
  const headers = { authorization: `Bearer ${accessToken}`, 'x-org': acme.id };
  const probe = await fetch(`${server.url}/auth/me/access`, { headers });
  if (probe.status !== 200) throw new Error(`probe answered ${probe.status}: ${await probe.text()}`);

  const result = await autocannon({ url: `${server.url}/auth/me/access`, headers, connections, duration: seconds });
  await server.close();
  const rps = Math.round(result.requests.average);
  const summary = {
    route: 'GET /auth/me/access (cached)',
    seconds,
    connections,
    requestsPerSecond: rps,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    target: TARGET_RPS,
  };
  console.log(JSON.stringify(summary, null, 2));
  if (rps < TARGET_RPS || result.non2xx > 0 || result.errors > 0) process.exitCode = 1;
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
