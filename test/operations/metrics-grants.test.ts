import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeGrants } from '../../src/access/membership-access.ts';
import { createAgent } from '../../src/agents/agents.ts';
import { TOKEN_EXCHANGE_GRANT } from '../../src/clients/tables.ts';
import { TEST_ACTOR } from '../support/deps.ts';
import { codeNow, enrolTotp } from '../support/mfa.ts';
import { parsePrometheusText, sampleValue } from '../support/prometheus-text.ts';
import { CookieJar, oidcWorld, PASSWORD, registerClient, signInThroughHostedPage, type OidcWorld } from '../oidc/support.ts';

const insecure = { execute: [oidc.allowInsecureRequests] };
const redirectUri = 'http://127.0.0.1:9/cb';
const AGENT_TOKEN = 'urn:kimauth:params:oauth:token-type:agent-token';

/** Issue 14 §3: the OIDC grants at a tenant's token endpoint and second-factor checks move their counters. */
describe('GET /metrics: OIDC token grants by type, MFA verifications by method and outcome', () => {
  let w: OidcWorld;
  let issuer: string;

  const scrape = async () => {
    const response = await fetch(`${w.base}/metrics`);
    expect(response.status).toBe(200);
    return parsePrometheusText(await response.text());
  };

  beforeAll(async () => {
    w = await oidcWorld({ metrics: true });
    issuer = `${w.base}/t/acme`;
  });
  afterAll(() => w.close());

  it('counts authorization_code, refresh_token, client_credentials and token exchange grants', async () => {
    registerClient(w, 'acme', { name: 'Web', type: 'public', clientId: 'web', redirectUris: [redirectUri], grantTypes: ['authorization_code', 'refresh_token'] });
    const batchSecret = registerClient(w, 'acme', { name: 'Batch', type: 'confidential', clientId: 'batch', grantTypes: ['client_credentials'] }).clientSecret!;
    const gatewaySecret = registerClient(w, 'acme', { name: 'Gateway', type: 'confidential', clientId: 'gateway', grantTypes: [TOKEN_EXCHANGE_GRANT] }).clientSecret!;
    w.t.deps.sqlite.transaction(() => writeGrants(w.t.deps, w.acme.id, w.member.id, { permissions: ['sync:orders'] }, TEST_ACTOR))();
    const agent = createAgent(w.t.deps, w.acme, { name: 'sync', owner: { type: 'user', id: w.member.id }, permissions: ['sync:orders'], audiences: ['backend-api'] }, TEST_ACTOR);
    const before = await scrape();

    const web = await oidc.discovery(new URL(issuer), 'web', undefined, oidc.None(), insecure);
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(web, {
      redirect_uri: redirectUri,
      scope: 'openid offline_access',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: 's',
      prompt: 'consent',
    });
    const back = await signInThroughHostedPage(url.href, new CookieJar(), w.member.email);
    const tokens = await oidc.authorizationCodeGrant(web, new URL(back.headers.get('location')!), { pkceCodeVerifier: verifier, expectedState: 's' });
    expect(tokens.refresh_token).toEqual(expect.any(String));
    await oidc.refreshTokenGrant(web, tokens.refresh_token!);
    const batch = await oidc.discovery(new URL(issuer), 'batch', batchSecret, undefined, insecure);
    await oidc.clientCredentialsGrant(batch);
    await oidc.clientCredentialsGrant(batch);
    const gateway = await oidc.discovery(new URL(issuer), 'gateway', gatewaySecret, undefined, insecure);
    await oidc.genericGrantRequest(gateway, TOKEN_EXCHANGE_GRANT, { subject_token: agent.token, subject_token_type: AGENT_TOKEN, audience: 'backend-api' });
    // A refused grant is not a grant.
    await expect(oidc.genericGrantRequest(gateway, TOKEN_EXCHANGE_GRANT, { subject_token: 'kimauth_acme_agt_nope', subject_token_type: AGENT_TOKEN })).rejects.toThrow();

    const after = await scrape();
    const delta = (grantType: string) => sampleValue(after, 'kimauth_token_grants_total', { grant_type: grantType }) - sampleValue(before, 'kimauth_token_grants_total', { grant_type: grantType });
    expect(delta('authorization_code')).toBe(1);
    expect(delta('refresh_token')).toBe(1);
    expect(delta('client_credentials')).toBe(2);
    expect(delta(TOKEN_EXCHANGE_GRANT)).toBe(1);
  });

  it('counts second-factor verifications by method and outcome', async () => {
    const { secret, recoveryCodes } = await enrolTotp(w.t.deps, w.betaMember, (ms) => w.t.clock.advance(ms));
    const before = await scrape();
    const post = (url: string, body: unknown) => fetch(`${w.base}${url}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const challenge = async () => ((await (await post('/auth/login', { email: w.betaMember.email, password: PASSWORD, accountType: '' })).json()) as { data: { mfaToken: string } }).data.mfaToken;

    const first = await challenge();
    expect((await post('/auth/mfa/verify', { mfaToken: first, code: codeNow(w.t.deps, secret, 600) })).status).toBe(401);
    expect((await post('/auth/mfa/verify', { mfaToken: first, code: codeNow(w.t.deps, secret) })).status).toBe(200);
    expect((await post('/auth/mfa/verify', { mfaToken: await challenge(), recoveryCode: recoveryCodes[0] })).status).toBe(200);
    expect((await post('/auth/mfa/verify', { mfaToken: await challenge(), recoveryCode: 'not-a-code' })).status).toBe(401);

    const after = await scrape();
    const delta = (method: string, outcome: string) =>
      sampleValue(after, 'kimauth_mfa_verifications_total', { method, outcome }) - sampleValue(before, 'kimauth_mfa_verifications_total', { method, outcome });
    expect(delta('totp', 'failure')).toBe(1);
    expect(delta('totp', 'success')).toBe(1);
    expect(delta('recovery_code', 'success')).toBe(1);
    expect(delta('recovery_code', 'failure')).toBe(1);
  });
});
