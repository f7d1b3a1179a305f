import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentStillActive, exchangeAgentToken } from '../../src/agents/agent-tokens.ts';
import { agentEffectivePermissions, createAgent, getAgent, listAgents, revokeAgent, rotateAgentToken, updateAgent } from '../../src/agents/agents.ts';
import { AgentExchangeLimiter } from '../../src/agents/exchange-limiter.ts';
import { writeGrants } from '../../src/access/membership-access.ts';
import { buildServer, type App } from '../../src/http/server.ts';
import { removeCompanyMembership } from '../../src/memberships/memberships.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import type { TenantRow } from '../../src/tenants/tables.ts';
import type { UserRow } from '../../src/identity/tables.ts';
import { patchUser } from '../../src/identity/user-admin.ts';
import { cliOperator } from '../../src/authorization/principal.ts';
import { cli } from '../support/cli.ts';
import { createTestInstance, tempDir, TEST_ACTOR, type TestInstance } from '../support/deps.ts';
import { createMember } from '../support/members.ts';
import { bearer, signIn } from '../support/tokens.ts';

describe('agents', () => {
  let t: TestInstance;
  let acme: TenantRow;
  let beta: TenantRow;
  let jane: UserRow;
  let other: UserRow;

  const grant = (user: UserRow, permissions: string[]) =>
    t.deps.sqlite.transaction(() => writeGrants(t.deps, acme.id, user.id, { permissions }, TEST_ACTOR))();
  const newAgent = (name: string, permissions: string[], owner = jane, extra: { audiences?: string[]; expiresInSeconds?: number } = {}) =>
    createAgent(t.deps, acme, { name, owner: { type: 'user', id: owner.id }, permissions, audiences: extra.audiences ?? ['backend-api'], expiresInSeconds: extra.expiresInSeconds }, TEST_ACTOR);
  const verify = async (jwt: string, audience = 'backend-api') =>
    (await jwtVerify(jwt, createLocalJWKSet(t.deps.keyring.jwks(acme.id) as never), { issuer: `${t.deps.config.publicUrl}/t/acme`, audience, currentDate: new Date(t.clock.nowMs()) })).payload;

  beforeAll(async () => {
    t = await createTestInstance();
    acme = await createTenant(t.deps, { slug: 'acme', name: 'Acme' }, TEST_ACTOR);
    beta = await createTenant(t.deps, { slug: 'beta', name: 'Beta' }, TEST_ACTOR);
    jane = await createMember(t.deps, acme.id, 'jane@acme.test', 'SUBMITTER');
    other = await createMember(t.deps, acme.id, 'other@acme.test', 'SUBMITTER');
    grant(jane, ['sync:orders', 'read:catalog', 'publish:article']);
  });
  afterAll(() => t.close());

  describe('the subset rule', () => {
    it.each([
      ['within the owner', ['sync:orders'], null],
      ['all the owner has', ['sync:orders', 'read:catalog', 'publish:article'], null],
      ['one the owner lacks', ['sync:orders', 'delete:orders'], /does not hold delete:orders/],
      ['only ones the owner lacks', ['admin:everything', 'delete:orders'], /does not hold admin:everything, delete:orders/],
    ])('create %s', (name, permissions, refusal) => {
      const create = () => newAgent(`subset-${name}`, permissions);
      if (refusal) expect(create).toThrow(refusal);
      else expect(create().agent.permissions).toEqual([...permissions].sort());
    });

    it.each([
      ['not a permission', ['sync'], /not a permission/],
      ['no permissions', [], /at least one permission/],
    ])('refuses %s', (_name, permissions, message) => expect(() => newAgent('bad', permissions)).toThrow(message));

    it("an owner who loses a permission takes it from the agent's next token", async () => {
      const { agent, token } = newAgent('loses', ['sync:orders', 'read:catalog']);
      expect((await verify((await exchangeAgentToken(t.deps, 'acme', token)).access_token)).can).toEqual(['read:catalog', 'sync:orders']);
      grant(jane, ['sync:orders', 'publish:article']);
      try {
        const claims = await verify((await exchangeAgentToken(t.deps, 'acme', token)).access_token);
        expect(claims.can).toEqual(['sync:orders']);
        expect(agentEffectivePermissions(t.deps, acme, getAgent(t.deps, acme.id, agent.id))).toEqual(['sync:orders']);
        // Growing the agent back beyond the owner is refused.
        expect(() => updateAgent(t.deps, acme, agent.id, { permissions: ['read:catalog'] }, TEST_ACTOR)).toThrow(/does not hold read:catalog/);
      } finally {
        grant(jane, ['sync:orders', 'read:catalog', 'publish:article']);
      }
    });

    it.each([
      ['the owner is deactivated', (u: UserRow) => patchUser(t.deps, cliOperator(), u.id, { isActive: false }), /Invalid or revoked agent token/],
      ['the owner left the tenant', (u: UserRow) => removeCompanyMembership(t.deps, TEST_ACTOR, acme.id, u.id), /Invalid or revoked agent token/],
    ])('the exchange fails once %s', async (_name, change, message) => {
      const owner = await createMember(t.deps, acme.id, `owner-${Math.random()}@acme.test`, 'SUBMITTER');
      grant(owner, ['sync:orders']);
      const { agent, token } = newAgent(`gone-${owner.id}`, ['sync:orders'], owner);
      await exchangeAgentToken(t.deps, 'acme', token);
      await change(owner);
      await expect(exchangeAgentToken(t.deps, 'acme', token)).rejects.toThrow(message);
      expect(agentStillActive(t.deps, acme.id, agent.id)).toBe(false);
    });
  });

  it('the token: agent claims, the owner, one of its audiences, signed with the tenant key', async () => {
    const { agent, token } = newAgent('claims', ['sync:orders'], jane, { audiences: ['backend-api', 'reports-api'] });
    expect(token).toMatch(/^kimauth_acme_agt_[0-9A-Za-z]{43}$/);
    const answer = await exchangeAgentToken(t.deps, 'acme', token);
    expect(answer).toMatchObject({ token_type: 'Bearer', expires_in: 300, audience: 'backend-api' });
    const claims = await verify(answer.access_token);
    expect(claims).toMatchObject({ actor_type: 'agent', sub: agent.id, owner: { type: 'user', id: jane.id }, tenant: 'acme', can: ['sync:orders'], aud: 'backend-api' });
    expect(claims.exp! - claims.iat!).toBe(300);
    await verify((await exchangeAgentToken(t.deps, 'acme', token, { audience: 'reports-api' })).access_token, 'reports-api');
    await expect(exchangeAgentToken(t.deps, 'acme', token, { audience: 'billing-api' })).rejects.toThrow(/not for "billing-api"/);
    await expect(exchangeAgentToken(t.deps, 'beta', token)).rejects.toThrow(/Invalid or revoked/);
  });

  it('rotation and revocation take effect at once; expiry too', async () => {
    const { agent, token } = newAgent('rotating', ['sync:orders']);
    const rotated = rotateAgentToken(t.deps, acme, agent.id, TEST_ACTOR);
    await expect(exchangeAgentToken(t.deps, 'acme', token)).rejects.toThrow(/Invalid or revoked/);
    await exchangeAgentToken(t.deps, 'acme', rotated.token);
    revokeAgent(t.deps, acme.id, agent.id, TEST_ACTOR);
    await expect(exchangeAgentToken(t.deps, 'acme', rotated.token)).rejects.toThrow(/Invalid or revoked/);
    expect(agentStillActive(t.deps, acme.id, agent.id)).toBe(false);
    expect(() => rotateAgentToken(t.deps, acme, agent.id, TEST_ACTOR)).toThrow(/revoked agent/);

    const shortLived = newAgent('short', ['sync:orders'], jane, { expiresInSeconds: 3_600 });
    t.clock.advance(3_601_000);
    await expect(exchangeAgentToken(t.deps, 'acme', shortLived.token)).rejects.toThrow(/Invalid or revoked/);
    expect(listAgents(t.deps, acme.id).find((a) => a.name === 'short')?.status).toBe('expired');
  });

  it('exchanges are rate-limited per agent', async () => {
    const limiter = new AgentExchangeLimiter(t.clock, 3);
    const a = newAgent('limited-a', ['sync:orders']);
    const b = newAgent('limited-b', ['sync:orders']);
    for (let i = 0; i < 3; i++) await exchangeAgentToken(t.deps, 'acme', a.token, { limiter });
    await expect(exchangeAgentToken(t.deps, 'acme', a.token, { limiter })).rejects.toThrow(/Too many token requests/);
    await exchangeAgentToken(t.deps, 'acme', b.token, { limiter });
  });

  it('the API token is shown once: never in list, show, the audit trail or the database file', async () => {
    const file = await createTestInstance({ file: true });
    try {
      const tenant = await createTenant(file.deps, { slug: 'acme', name: 'Acme' }, TEST_ACTOR);
      const owner = await createMember(file.deps, tenant.id, 'o@acme.test', 'SUBMITTER');
      file.deps.sqlite.transaction(() => writeGrants(file.deps, tenant.id, owner.id, { permissions: ['sync:orders'] }, TEST_ACTOR))();
      const { agent, token } = createAgent(file.deps, tenant, { name: 'secret', owner: { type: 'user', id: owner.id }, permissions: ['sync:orders'], audiences: ['api'] }, TEST_ACTOR);
      const rotated = rotateAgentToken(file.deps, tenant, agent.id, TEST_ACTOR).token;
      const secret = token.slice(-43);
      expect(JSON.stringify(listAgents(file.deps, tenant.id))).not.toContain(secret);
      const audit = file.deps.sqlite.prepare('SELECT payload FROM audit_entries').pluck().all().join('\n');
      expect(audit).not.toContain(secret);
      expect(audit).not.toContain(rotated.slice(-43));
      file.deps.sqlite.pragma('wal_checkpoint(TRUNCATE)');
      const bytes = readFileSync(path.join(file.deps.config.dataDir, 'kimauth.db')).toString('latin1');
      expect(bytes).not.toContain(secret);
      expect(bytes).not.toContain(rotated.slice(-43));
    } finally {
      file.close();
    }
  });

  describe('over HTTP', () => {
    let app: App;
    beforeAll(async () => {
      app = await buildServer(t.deps);
    });
    afterAll(() => app.close());

    it('an owner creates its own agent (token once), others see 404, the exchange answers a JWT', async () => {
      const owner = await signIn(t.deps, jane.id);
      const created = await app.inject({
        method: 'POST',
        url: '/t/acme/api/v1/agents',
        headers: bearer(owner.accessToken),
        payload: { name: 'http-agent', permissions: ['read:catalog'], audiences: ['backend-api'] },
      });
      expect(created.statusCode).toBe(201);
      const { agent, token } = created.json().data;
      expect(agent.owner).toEqual({ type: 'user', id: jane.id });
      const shown = await app.inject({ method: 'GET', url: `/t/acme/api/v1/agents/${agent.id}`, headers: bearer(owner.accessToken) });
      expect(shown.json().data).not.toHaveProperty('token');
      const stranger = await signIn(t.deps, other.id);
      expect((await app.inject({ method: 'GET', url: `/t/acme/api/v1/agents/${agent.id}`, headers: bearer(stranger.accessToken) })).statusCode).toBe(404);
      expect((await app.inject({ method: 'POST', url: `/t/acme/api/v1/agents/${agent.id}/revoke`, headers: bearer(stranger.accessToken) })).statusCode).toBe(403);
      const beyond = await app.inject({ method: 'POST', url: '/t/acme/api/v1/agents', headers: bearer(stranger.accessToken), payload: { name: 'greedy', permissions: ['read:catalog'], audiences: ['x'] } });
      expect([beyond.statusCode, beyond.json().error.message]).toEqual([400, expect.stringMatching(/does not hold read:catalog/)]);

      const exchanged = await app.inject({ method: 'POST', url: '/t/acme/v1/agents/token', headers: { authorization: `Bearer ${token}` }, payload: {} });
      expect(exchanged.statusCode).toBe(200);
      expect(exchanged.headers['cache-control']).toContain('no-store');
      expect((await verify(exchanged.json().data.access_token)).sub).toBe(agent.id);
      // One character changed (never the same one: a token ending in x stays a forgery).
      const forged = await app.inject({ method: 'POST', url: '/t/acme/v1/agents/token', headers: { authorization: `Bearer ${token.slice(0, -1)}${token.endsWith('x') ? 'y' : 'x'}` } });
      expect([forged.statusCode, forged.json().error.code]).toEqual([401, 'unauthorized']);
      expect((await app.inject({ method: 'POST', url: '/t/beta/v1/agents/token', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(401);
      void beta;
    });
  });
});

describe('CLI: agents', () => {
  it('create prints the token once; list and show never do; revoke', async () => {
    const dir = tempDir();
    const run = (...argv: string[]) => cli(['--data-dir', path.join(dir.path, 'data'), ...argv]);
    try {
      expect((await run('init', '--yes')).code).toBe(0);
      expect((await run('tenants', 'create', '--slug', 'acme', '--name', 'Acme')).code).toBe(0);
      const id = (await run('users', 'create', '--email', 'jane@acme.com', '--name', 'Jane', '--json')).json<{ id: string }>().id;
      expect((await run('users', 'memberships', 'set', id, '--tenant', 'acme', '--role', 'SUBMITTER')).code).toBe(0);
      expect((await run('users', 'access', 'set', 'jane@acme.com', '--tenant', 'acme', '--permissions', 'sync:orders,read:catalog')).code).toBe(0);
      const refused = await run('agents', 'create', '--tenant', 'acme', '--name', 'x', '--owner', 'jane@acme.com', '--permissions', 'delete:orders', '--audience', 'backend-api');
      expect(refused.stderr).toMatch(/does not hold delete:orders/);
      const created = await run('--json', 'agents', 'create', '--tenant', 'acme', '--name', 'nightly-sync', '--owner', 'jane@acme.com', '--permissions', 'sync:orders', '--audience', 'backend-api', '--expires', '180d');
      expect(created.code).toBe(0);
      const { agent, token } = created.json<{ agent: { id: string; expiresAt: string }; token: string }>();
      expect(token).toMatch(/^kimauth_acme_agt_/);
      const listed = await run('agents', 'list', '--tenant', 'acme');
      expect(listed.stdout).toContain('nightly-sync');
      expect(listed.stdout).not.toContain(token.slice(-43));
      expect((await run('agents', 'show', 'nightly-sync', '--tenant', 'acme')).stdout).not.toContain(token.slice(-43));
      expect((await run('agents', 'create', '--tenant', 'acme', '--name', 'y', '--owner', 'jane@acme.com', '--permissions', 'sync:orders', '--audience', 'a', '--expires', 'soon')).code).toBe(2);
      expect((await run('--json', 'agents', 'revoke', agent.id, '--tenant', 'acme')).json()).toMatchObject({ status: 'revoked' });
    } finally {
      dir.remove();
    }
  });
});
