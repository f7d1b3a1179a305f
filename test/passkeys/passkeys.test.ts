import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliOperator, userPrincipal } from '../../src/authorization/principal.ts';
import { createUser } from '../../src/identity/users.ts';
import { resetUserMfa } from '../../src/mfa/enrollment.ts';
import { purgeSpentSignInSteps } from '../../src/mfa/retention.ts';
import { openCeremony, sealCeremony, spendCeremony, CEREMONY_TTL_MS } from '../../src/passkeys/challenges.ts';
import { listPasskeys, passkeyRegistrationOptions, registerPasskey, removePasskey } from '../../src/passkeys/registration.ts';
import { insertPasskey } from '../../src/passkeys/store.ts';
import { createTestInstance, TEST_ACTOR, type TestInstance } from '../support/deps.ts';

/** The passkeys context's rules without a browser (the ceremonies themselves run in passkeys.browser.test.ts). */
describe('passkeys: ownership, ceremonies, retention', () => {
  let t: TestInstance;
  const user = (email: string) => createUser(t.deps, { email, fullName: email, password: 'user-password-1', approvalStatus: 'APPROVED', isActive: true }, TEST_ACTOR);

  beforeAll(async () => {
    t = await createTestInstance({ config: { publicUrl: 'https://id.example.test' } });
  });
  afterAll(() => t.close());

  it('registration options: RP ID from the public URL, discoverable, user verification required, the user handle is the id only', async () => {
    const jane = await user('jane@example.com');
    const { options } = (await passkeyRegistrationOptions(t.deps, userPrincipal(jane.id, jane.globalRole, 'http'), jane.id)) as {
      options: { rp: { id: string }; user: { id: string; name: string }; authenticatorSelection: { residentKey: string; userVerification: string } };
    };
    expect(options.rp.id).toBe('id.example.test');
    expect(options.authenticatorSelection).toMatchObject({ residentKey: 'required', userVerification: 'required' });
    expect(Buffer.from(options.user.id, 'base64url').toString()).toBe(jane.id);
    // Someone else cannot start a ceremony for jane.
    const bob = await user('bob@example.com');
    await expect(passkeyRegistrationOptions(t.deps, userPrincipal(bob.id, bob.globalRole, 'http'), jane.id)).rejects.toMatchObject({ code: 'forbidden' });
  });

  it("a user removes only their own passkey (another's is not found), audited", async () => {
    const ann = await user('ann@example.com');
    const eve = await user('eve@example.com');
    const row = { user_id: ann.id, name: 'Key', public_key: Buffer.from([1, 2, 3]), counter: 0, transports: '[]', device_type: 'singleDevice', backed_up: 0, created_at: t.deps.clock.nowMs(), last_used_at: null };
    insertPasskey(t.deps, { ...row, credential_id: 'cred-ann' });
    const eveCaller = userPrincipal(eve.id, eve.globalRole, 'http');
    expect(() => removePasskey(t.deps, eveCaller, eve.id, 'cred-ann')).toThrow(expect.objectContaining({ code: 'not_found' }));
    expect(() => removePasskey(t.deps, eveCaller, ann.id, 'cred-ann')).toThrow(expect.objectContaining({ code: 'forbidden' }));
    const annCaller = userPrincipal(ann.id, ann.globalRole, 'http');
    expect(listPasskeys(t.deps, annCaller, ann.id).map((p) => p.id)).toEqual(['cred-ann']);
    removePasskey(t.deps, annCaller, ann.id, 'cred-ann');
    expect(listPasskeys(t.deps, annCaller, ann.id)).toEqual([]);
    const audit = t.deps.sqlite.prepare("SELECT payload FROM audit_entries WHERE event_type = 'passkey.removed'").pluck().all() as string[];
    expect(audit.map((a) => JSON.parse(a))).toEqual([{ userId: ann.id, credentialId: 'cred-ann', name: 'Key' }]);
  });

  it("an operator's MFA reset removes the user's passkeys too (a lost key must not sign in), audited with the count", async () => {
    const kim = await user('kim@example.com');
    const row = { user_id: kim.id, name: 'Key', public_key: Buffer.from([1, 2, 3]), counter: 0, transports: '[]', device_type: 'singleDevice', backed_up: 0, created_at: t.deps.clock.nowMs(), last_used_at: null };
    insertPasskey(t.deps, { ...row, credential_id: 'cred-kim-1' });
    insertPasskey(t.deps, { ...row, credential_id: 'cred-kim-2' });
    expect(resetUserMfa(t.deps, cliOperator(), kim.id)).toMatchObject({ hadTotp: false, passkeys: 2 });
    expect(listPasskeys(t.deps, userPrincipal(kim.id, kim.globalRole, 'http'), kim.id)).toEqual([]);
    const audit = t.deps.sqlite.prepare("SELECT payload FROM audit_entries WHERE event_type = 'mfa.reset'").pluck().all() as string[];
    expect(JSON.parse(audit.at(-1)!)).toMatchObject({ userId: kim.id, passkeys: 2 });
  });

  it('a sealed ceremony is bound to its purpose and user, expires, and is spent once; the record is purged later', async () => {
    const sealed = sealCeremony(t.deps, 'register', 'challenge-1', 'user-1');
    expect(openCeremony(t.deps, sealed, 'register', 'user-1').challenge).toBe('challenge-1');
    expect(() => openCeremony(t.deps, sealed, 'authenticate', 'user-1')).toThrow(expect.objectContaining({ code: 'unauthorized' }));
    expect(() => openCeremony(t.deps, sealed, 'register', 'user-2')).toThrow(expect.objectContaining({ code: 'unauthorized' }));
    const ceremony = openCeremony(t.deps, sealed, 'register', 'user-1');
    expect(t.deps.sqlite.transaction(() => spendCeremony(t.deps, ceremony))()).toBe(true);
    expect(t.deps.sqlite.transaction(() => spendCeremony(t.deps, ceremony))()).toBe(false);
    // A registration with a spent or foreign ceremony is refused before any WebAuthn check.
    const jane = (await user('jane2@example.com'));
    await expect(registerPasskey(t.deps, userPrincipal(jane.id, jane.globalRole, 'http'), jane.id, { sealed, response: '{}' })).rejects.toMatchObject({ code: 'unauthorized' });

    t.clock.advance(CEREMONY_TTL_MS + 1);
    expect(() => openCeremony(t.deps, sealed, 'register', 'user-1')).toThrow(expect.objectContaining({ code: 'unauthorized' }));
    t.clock.advance(24 * 60 * 60_000);
    expect(purgeSpentSignInSteps(t.deps, cliOperator())).toMatchObject({ passkeyChallenges: 1 });
  });
});
