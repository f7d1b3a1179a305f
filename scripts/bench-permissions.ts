/**
 * Effective permissions and tenant claims, in-process on a temp data dir (part of `npm run bench`):
 *   - a member of 10 groups, each 5 levels deep (every level holding permissions and some roles), with 20 access
 *     roles in all and direct grants: the effective set from cache (target < 50 µs) and computed cold;
 *   - buildTenantClaims (cached) against one RS256 signature with a 2048-bit key, the cost floor of a token grant:
 *     target < 5 % of it;
 *   - that a change is seen on the very next call (access_version), also when made by another process (Deps).
 * Prints one JSON document; exit code 1 when a target is missed.
 *
 *   npm run bench:permissions
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/app/config.ts';
import { buildDeps, type Deps } from '../src/app/deps.ts';
import { initInstance } from '../src/app/instance.ts';
import { setCompanyEntitlements } from '../src/access/entitlements.ts';
import { writeGrants } from '../src/access/membership-access.ts';
import { buildTenantClaims } from '../src/claims/tenant-claims.ts';
import { createUser } from '../src/identity/users.ts';
import { upsertCompanyMembership } from '../src/memberships/memberships.ts';
import { computeEffectivePermissions, effectivePermissionsOf, entitlementsSnapshot } from '../src/permissions/effective-permissions.ts';
import { loadTenantGraph } from '../src/permissions/graph.ts';
import { addGroupMember, createGroup, grantGroupPermissions } from '../src/permissions/groups.ts';
import { assignRole, createRole } from '../src/permissions/roles.ts';
import { createTenant } from '../src/tenants/tenants.ts';

const CACHED_TARGET_US = 50;
const CLAIMS_SHARE_TARGET = 0.05;
const actor = { type: 'operator', id: 'bench', channel: 'cli' } as const;

/** Mean µs per call over `n` calls, after a warm-up. */
function perCallMicros(n: number, fn: () => unknown): number {
  for (let i = 0; i < Math.min(1_000, n); i++) fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - start) / 1_000 / n;
}

async function setUp(deps: Deps) {
  const acme = await createTenant(deps, { slug: 'acme', name: 'Acme' }, actor);
  setCompanyEntitlements(deps, acme, ['basic', 'finance'], actor);
  const user = await createUser(deps, { email: 'member@bench.test', fullName: 'Member', approvalStatus: 'APPROVED', isActive: true }, actor);
  upsertCompanyMembership(deps, actor, acme.id, { userId: user.id, role: 'SUBMITTER' });
  deps.sqlite.transaction(() => writeGrants(deps, acme.id, user.id, { modules: ['basic'], permissions: ['basic.dashboard', 'publish:article', 'finance.view'] }, actor))();
  for (let r = 0; r < 20; r++) {
    await createRole(deps, actor, 'acme', { name: `role-${r}`, permissions: Array.from({ length: 5 }, (_, i) => `action${i}:resource${r}`), clientId: r % 5 === 4 ? 'web' : null });
  }
  for (let chain = 0; chain < 10; chain++) {
    let parent: string | undefined;
    for (let level = 0; level < 5; level++) {
      const name = `g${chain}-l${level}`;
      createGroup(deps, actor, 'acme', { name, parent });
      await grantGroupPermissions(deps, actor, 'acme', name, [`read:${name}`, `write:shared${level}`]);
      parent = name;
    }
    await addGroupMember(deps, actor, 'acme', parent!, user.email);
  }
  // 10 roles directly, 10 through groups at various depths.
  for (let r = 0; r < 10; r++) await assignRole(deps, actor, 'acme', `role-${r}`, { user: user.email }, r % 5 === 4 ? 'web' : undefined);
  for (let r = 10; r < 20; r++) await assignRole(deps, actor, 'acme', `role-${r}`, { group: `g${r - 10}-l${r % 5}` }, r % 5 === 4 ? 'web' : undefined);
  return { acme, user };
}

const dataDir = mkdtempSync(path.join(tmpdir(), 'kimauth-bench-permissions-'));
try {
  const env = { KIMAUTH_LOG_LEVEL: 'warn' };
  await initInstance({ config: loadConfig({ flags: { dataDir }, env, ignoreFile: true }), adminEmail: 'ops@bench.test', actor });
  const config = loadConfig({ flags: { dataDir }, env });
  const deps = buildDeps({ config, migrate: true });
  const { acme, user } = await setUp(deps);
  const subject = { type: 'user' as const, id: user.id };

  const effective = effectivePermissionsOf(deps, acme.id, subject);
  const cachedUs = perCallMicros(200_000, () => effectivePermissionsOf(deps, acme.id, subject));
  const entitlements = entitlementsSnapshot(deps, acme.id);
  const coldUs = perCallMicros(500, () => computeEffectivePermissions(deps, loadTenantGraph(deps, acme.id), entitlements, subject));
  const graph = loadTenantGraph(deps, acme.id);
  const graphUs = perCallMicros(500, () => loadTenantGraph(deps, acme.id));
  const computeUs = perCallMicros(500, () => computeEffectivePermissions(deps, graph, entitlements, subject));


  const claimsInput = { tenant: { id: acme.id, slug: acme.slug }, subject, clientId: 'web', scopes: ['openid', 'email', 'profile'], profile: { email: user.email, emailVerified: true, name: user.fullName } };
  const claimsUs = perCallMicros(50_000, () => buildTenantClaims(deps, claimsInput));
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const payload = Buffer.from(JSON.stringify({ ...buildTenantClaims(deps, claimsInput), sub: user.id, iat: 1, exp: 2 }));
  const signUs = perCallMicros(300, () => sign('sha256', payload, privateKey));
  const claimsShare = claimsUs / (claimsUs + signUs);

  // Freshness: a change is seen on the very next call, from this process and from another one.
  await grantGroupPermissions(deps, actor, 'acme', 'g0-l0', ['fresh:local']);
  const seenLocal = effectivePermissionsOf(deps, acme.id, subject).permissions.includes('fresh:local');
  const other = buildDeps({ config, migrate: false });
  await grantGroupPermissions(other, actor, 'acme', 'g1-l0', ['fresh:remote']);
  other.close();
  const seenRemote = effectivePermissionsOf(deps, acme.id, subject).permissions.includes('fresh:remote');
  deps.close();

  const summary = {
    shape: { groups: effective.groups.length, directGroups: 10, depth: 5, roles: effective.realmRoles.length + (effective.clientRoles.web?.length ?? 0), permissions: effective.permissions.length, dropped: effective.dropped.length },
    effectiveFromCacheUs: Number(cachedUs.toFixed(2)),
    effectiveColdUs: Number(coldUs.toFixed(1)),
    effectiveColdParts: { tenantGraphLoadUs: Number(graphUs.toFixed(1)), perUserComputeUs: Number(computeUs.toFixed(1)) },
    claimsBuildCachedUs: Number(claimsUs.toFixed(2)),
    rs256SignUs: Number(signUs.toFixed(1)),
    claimsShareOfGrant: `${(claimsShare * 100).toFixed(2)} %`,
    coldClaimsShareOfGrant: `${((coldUs / (coldUs + signUs)) * 100).toFixed(1)} % (first token after a change)`,
    changeSeenOnNextCall: { sameProcess: seenLocal, otherProcess: seenRemote },
    targets: { effectiveFromCacheUs: `< ${CACHED_TARGET_US}`, claimsShareOfGrant: `< ${CLAIMS_SHARE_TARGET * 100} %` },
  };
  console.log(JSON.stringify(summary, null, 2));
  const met = cachedUs < CACHED_TARGET_US && claimsShare < CLAIMS_SHARE_TARGET && seenLocal && seenRemote;
  console.log(met ? 'permissions bench: targets met' : 'permissions bench: target MISSED');
  if (!met) process.exitCode = 1;
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
