import * as oidc from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent, revokeAgent } from '../../src/agents/agents.ts';
import { writeGrants } from '../../src/access/membership-access.ts';
import { cliOperator } from '../../src/authorization/principal.ts';
import { TOKEN_EXCHANGE_GRANT } from '../../src/clients/tables.ts';
import { updateClient } from '../../src/clients/clients.ts';
import { addGroupMember, createGroup, grantGroupPermissions } from '../../src/permissions/groups.ts';
import { TEST_ACTOR } from '../support/deps.ts';
import { CookieJar, oidcWorld, registerClient, signInThroughHostedPage, type OidcWorld } from './support.ts';

const insecure = { execute: [oidc.allowInsecureRequests] };
const redirectUri = 'http://127.0.0.1:9/cb';
const AGENT_TOKEN = 'urn:kimauth:params:oauth:token-type:agent-token';
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';

/**
 * Issue 16 §2–3 at the tenant's token endpoint (RFC 8693), driven by openid-client: an agent's API token and a
 * member's real OIDC access token are exchanged, and every token verifies against the tenant's certs.
 */
describe('token exchange at /t/{slug}/protocol/openid-connect/token', () => {
  let w: OidcWorld;
  let issuer: string;
  let exchanger: oidc.Configuration;
  let plain: oidc.Configuration;
  let agentToken = '';
  let agentId = '';
  let memberAccessToken = '';
  let editorsId = '';

  const verify = (jwt: string, audience: string) => jwtVerify(jwt, createRemoteJWKSet(new URL(`${issuer}/protocol/openid-connect/certs`)), { issuer, audience });
  const exchange = (config: oidc.Configuration, params: Record<string, string>) => oidc.genericGrantRequest(config, TOKEN_EXCHANGE_GRANT, params);
  const refusal = async (promise: Promise<unknown>) => {
    const err = (await promise.then(() => null, (e: unknown) => e)) as (oidc.ResponseBodyError & { status: number }) | null;
    expect(err, 'the exchange should have been refused').toBeInstanceOf(oidc.ResponseBodyError);
    return { error: err!.error, status: err!.status, description: err!.error_description };
  };

  beforeAll(async () => {
    w = await oidcWorld();
    issuer = `${w.base}/t/acme`;
    const secret = registerClient(w, 'acme', { name: 'Gateway', type: 'confidential', clientId: 'gateway', grantTypes: [TOKEN_EXCHANGE_GRANT] }).clientSecret!;
    const plainSecret = registerClient(w, 'acme', { name: 'Batch', type: 'confidential', clientId: 'batch', grantTypes: ['client_credentials'] }).clientSecret!;
    registerClient(w, 'acme', { name: 'Web', type: 'public', clientId: 'web', redirectUris: [redirectUri] });
    exchanger = await oidc.discovery(new URL(issuer), 'gateway', secret, undefined, insecure);
    plain = await oidc.discovery(new URL(issuer), 'batch', plainSecret, undefined, insecure);

    const { acme, member } = w;
    w.t.deps.sqlite.transaction(() => writeGrants(w.t.deps, acme.id, member.id, { permissions: ['sync:orders', 'read:catalog'] }, TEST_ACTOR))();
    const created = createAgent(w.t.deps, acme, { name: 'nightly-sync', owner: { type: 'user', id: member.id }, permissions: ['sync:orders'], audiences: ['backend-api', 'reports-api'] }, TEST_ACTOR);
    agentToken = created.token;
    agentId = created.agent.id;

    const op = cliOperator();
    editorsId = createGroup(w.t.deps, op, 'acme', { name: 'Editors' }).id;
    createGroup(w.t.deps, op, 'acme', { name: 'Finance' });
    await grantGroupPermissions(w.t.deps, op, 'acme', 'Editors', ['publish:article']);
    await addGroupMember(w.t.deps, op, 'acme', 'Editors', member.id);

    // A real access token of the member, from the code flow through the hosted page.
    const web = await oidc.discovery(new URL(issuer), 'web', undefined, oidc.None(), insecure);
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(web, { redirect_uri: redirectUri, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state: 's' });
    const back = await signInThroughHostedPage(url.href, new CookieJar(), member.email);
    const tokens = await oidc.authorizationCodeGrant(web, new URL(back.headers.get('location')!), { pkceCodeVerifier: verifier, expectedState: 's' });
    memberAccessToken = tokens.access_token;
  });
  afterAll(() => w.close());

  it('is advertised in discovery', () => {
    expect(exchanger.serverMetadata().grant_types_supported).toContain(TOKEN_EXCHANGE_GRANT);
  });

  it("an agent's API token → the agent's JWT for the audience asked (RFC 8693 §2.2.1 response)", async () => {
    const issued = await exchange(exchanger, { subject_token: agentToken, subject_token_type: AGENT_TOKEN, audience: 'reports-api' });
    expect(issued).toMatchObject({ token_type: 'bearer', issued_token_type: ACCESS_TOKEN, expires_in: 300 });
    const { payload } = await verify(issued.access_token, 'reports-api');
    expect(payload).toMatchObject({ actor_type: 'agent', sub: agentId, owner: { type: 'user', id: w.member.id }, can: ['sync:orders'], tenant: 'acme' });
  });

  it("a member's OIDC access token + requested_actor → a token acting for the group (act, the group's can)", async () => {
    const issued = await exchange(exchanger, { subject_token: memberAccessToken, subject_token_type: ACCESS_TOKEN, requested_actor: 'Editors' });
    expect(issued.issued_token_type).toBe(ACCESS_TOKEN);
    const { payload } = await verify(issued.access_token, 'web');
    expect(payload).toMatchObject({ actor_type: 'group', sub: editorsId, act: { sub: w.member.id }, can: ['publish:article'] });
    const audit = w.t.deps.sqlite.prepare("SELECT count(*) FROM audit_entries WHERE tenant_id = ? AND event_type = 'session.acting_as_group'").pluck().get(w.acme.id);
    expect(audit).toBe(1);
  });

  it.each([
    ['an audience the agent does not have', () => ({ subject_token: agentToken, subject_token_type: AGENT_TOKEN, audience: 'billing-api' }), 'invalid_target'],
    ['a made-up agent token', () => ({ subject_token: 'kimauth_acme_agt_nope', subject_token_type: AGENT_TOKEN }), 'invalid_grant'],
    ['a group the member is not in', () => ({ subject_token: memberAccessToken, subject_token_type: ACCESS_TOKEN, requested_actor: 'Finance' }), 'invalid_grant'],
    ['a group that does not exist', () => ({ subject_token: memberAccessToken, subject_token_type: ACCESS_TOKEN, requested_actor: 'Nobody' }), 'invalid_request'],
    ['an access token without requested_actor', () => ({ subject_token: memberAccessToken, subject_token_type: ACCESS_TOKEN }), 'invalid_request'],
    ['an unknown subject_token_type', () => ({ subject_token: agentToken, subject_token_type: 'urn:x:jwt' }), 'invalid_request'],
    ['an actor_token', () => ({ subject_token: agentToken, subject_token_type: AGENT_TOKEN, actor_token: 'x', actor_token_type: ACCESS_TOKEN }), 'invalid_request'],
    ['an agent token given as an access token', () => ({ subject_token: agentToken, subject_token_type: ACCESS_TOKEN, requested_actor: 'Editors' }), 'invalid_grant'],
  ])('refuses %s', async (_name, params, error) => {
    expect((await refusal(exchange(exchanger, params()))).error).toBe(error);
  });

  it('a client without the grant is unauthorized_client', async () => {
    expect((await refusal(exchange(plain, { subject_token: agentToken, subject_token_type: AGENT_TOKEN }))).error).toBe('unauthorized_client');
  });

  it('a revoked agent cannot exchange, at once', async () => {
    const second = createAgent(w.t.deps, w.acme, { name: 'short-lived', owner: { type: 'user', id: w.member.id }, permissions: ['read:catalog'], audiences: ['backend-api'] }, TEST_ACTOR);
    await exchange(exchanger, { subject_token: second.token, subject_token_type: AGENT_TOKEN });
    revokeAgent(w.t.deps, w.acme.id, second.agent.id, TEST_ACTOR);
    expect((await refusal(exchange(exchanger, { subject_token: second.token, subject_token_type: AGENT_TOKEN }))).error).toBe('invalid_grant');
  });
});

describe('a client-credentials token of a confidential client calls the authorization check (issue 16 §5)', () => {
  let w: OidcWorld;
  let backend: oidc.Configuration;
  let secret = '';
  const check = (token: string, slug = 'acme') =>
    fetch(`${w.base}/t/${slug}/v1/authorize`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ subject: { type: 'user', id: w.member.id }, action: 'sync', resource: { app: 'erp', type: 'orders', id: '1' } }),
    });

  beforeAll(async () => {
    w = await oidcWorld();
    secret = registerClient(w, 'acme', { name: 'Orders API', type: 'confidential', clientId: 'orders-api', grantTypes: ['client_credentials'] }).clientSecret!;
    registerClient(w, 'beta', { name: 'Beta API', type: 'confidential', clientId: 'beta-api', grantTypes: ['client_credentials'] });
    w.t.deps.sqlite.transaction(() => writeGrants(w.t.deps, w.acme.id, w.member.id, { permissions: ['sync:orders'] }, TEST_ACTOR))();
    backend = await oidc.discovery(new URL(`${w.base}/t/acme`), 'orders-api', secret, undefined, insecure);
  });
  afterAll(() => w.close());

  it('answers the decision; the same token is refused in another tenant and on other tenant API routes', async () => {
    const { access_token } = await oidc.clientCredentialsGrant(backend);
    const res = await check(access_token);
    expect(res.status, await res.clone().text()).toBe(200);
    expect((await res.json()).data).toMatchObject({ allowed: true });
    expect((await check(access_token, 'beta')).status).toBe(401);
    const members = await fetch(`${w.base}/t/acme/api/v1/users`, { headers: { authorization: `Bearer ${access_token}` } });
    expect(members.status).toBe(401);
  });

  it('a revoked token or a disabled client stops at once', async () => {
    const { access_token } = await oidc.clientCredentialsGrant(backend);
    await oidc.tokenRevocation(backend, access_token);
    expect((await check(access_token)).status).toBe(401);
    const fresh = (await oidc.clientCredentialsGrant(backend)).access_token;
    expect((await check(fresh)).status).toBe(200);
    updateClient(w.t.deps, cliOperator(), 'acme', 'orders-api', { enabled: false });
    expect((await check(fresh)).status).toBe(401);
  });
});
