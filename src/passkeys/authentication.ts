import { randomBytes } from 'node:crypto';
import type { Deps } from '../app/deps.ts';
import { AppError } from '../app/errors.ts';
import { provenUser, type Principal } from '../authorization/principal.ts';
import { signInCandidate, type ClientInfo } from '../identity/login.ts';
import type { SignInUser } from '../identity/login-users.ts';
import { openCeremony, sealCeremony, spendCeremony } from './challenges.ts';
import { userHandleOf, type Ceremony } from './registration.ts';
import { relyingPartyOf } from './relying-party.ts';
import { authenticationResponseOf } from './responses.ts';
import { findPasskey, recordPasskeyUse } from './store.ts';
import { webauthn } from './webauthn.ts';

/**
 * Sign-in with a passkey (issue 13 §3): a discoverable credential (no email typed, no allowCredentials), user
 * verification required, so it proves possession and the user (PIN or biometrics) at once and counts as MFA.
 */
export const CEREMONY_TIMEOUT_MS = 120_000;

/**
 * The request options of a sign-in page, written out (synchronously: every page view of the hosted form carries
 * one) — exactly what generateAuthenticationOptions builds for a discoverable credential: a random challenge,
 * the RP ID, no allowCredentials, user verification required.
 */
export function passkeySignInOptions(deps: Deps): Ceremony {
  const rp = relyingPartyOf(deps);
  const challenge = randomBytes(32).toString('base64url');
  const options = { challenge, rpId: rp.id, timeout: CEREMONY_TIMEOUT_MS, userVerification: 'required' as const };
  return { options, sealed: sealCeremony(deps, 'authenticate', challenge, null) };
}

const REFUSED = 'This passkey was not accepted';

/**
 * Verifies the assertion (outside any transaction: the library is async), then in one transaction: the ceremony
 * spent, the signature counter moved on, the account checked, and `then` (the caller's session start). A refused
 * assertion of a known passkey is audited as a failed sign-in in `auditTenantId`'s chain.
 */
export async function verifyPasskeySignIn<T>(
  deps: Deps,
  caller: Principal,
  input: { sealed?: string; response?: string },
  client: ClientInfo,
  audit: { auditTenantId: string; auditPayload?: Record<string, unknown> },
  then: (user: SignInUser) => T,
): Promise<T> {
  const ceremony = openCeremony(deps, input.sealed, 'authenticate', null);
  const response = authenticationResponseOf(input.response);
  const passkey = findPasskey(deps, response.id);
  if (!passkey) throw new AppError('unauthorized', REFUSED);
  const refuse = (reason: string) => {
    deps.sqlite.transaction(() =>
      deps.audit.append(audit.auditTenantId, {
        actor: caller,
        type: 'user.sign_in_failed',
        target: { type: 'user', id: passkey.user_id },
        payload: { userId: passkey.user_id, reason, credentialId: passkey.credential_id, ip: client.ip, ...audit.auditPayload },
      }),
    )();
    return new AppError('unauthorized', REFUSED);
  };
  const handle = response.response.userHandle;
  if (handle !== undefined && handle !== Buffer.from(userHandleOf(passkey.user_id)).toString('base64url')) throw refuse('passkey_user_mismatch');
  const rp = relyingPartyOf(deps);
  let verification;
  try {
    verification = await (await webauthn()).verifyAuthenticationResponse({
      response,
      expectedChallenge: ceremony.challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserVerification: true,
      credential: { id: passkey.credential_id, publicKey: new Uint8Array(passkey.public_key), counter: passkey.counter, transports: JSON.parse(passkey.transports) },
    });
  } catch {
    throw refuse('passkey_invalid');
  }
  if (!verification.verified) throw refuse('passkey_invalid');
  const outcome = deps.sqlite.transaction(() => {
    if (!spendCeremony(deps, ceremony)) return { error: new AppError('unauthorized', 'This passkey step was already used; start again') };
    if (!recordPasskeyUse(deps, passkey.credential_id, verification.authenticationInfo.newCounter, deps.clock.nowMs())) return { reason: 'passkey_counter_regressed' as const };
    const candidate = signInCandidate(deps, caller, passkey.user_id, client);
    if ('error' in candidate) return candidate;
    deps.audit.append(deps.platformTenantId(), {
      actor: provenUser(caller, passkey.user_id),
      type: 'passkey.used',
      target: { type: 'user', id: passkey.user_id },
      payload: { userId: passkey.user_id, credentialId: passkey.credential_id, ip: client.ip },
    });
    return { value: then(candidate.user) };
  })();
  if ('reason' in outcome && outcome.reason) throw refuse(outcome.reason);
  if ('error' in outcome) throw outcome.error;
  return outcome.value;
}
