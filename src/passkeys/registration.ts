import type { Deps } from '../app/deps.ts';
import { AppError, conflict, notFound, validationError } from '../app/errors.ts';
import { authorize } from '../authorization/policy.ts';
import type { Principal } from '../authorization/principal.ts';
import { findUserById } from '../identity/users.ts';
import { openCeremony, sealCeremony, spendCeremony } from './challenges.ts';
import { relyingPartyOf } from './relying-party.ts';
import { registrationResponseOf } from './responses.ts';
import { deletePasskey, findPasskey, insertPasskey, listPasskeysOf } from './store.ts';
import { webauthn } from './webauthn.ts';

/**
 * A user's own passkeys (issue 13 §3): register (a discoverable credential, user verification required), list,
 * remove. The caller is the user (the hosted account page's SSO session); every change is audited.
 */
export interface PasskeyView {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  backedUp: boolean;
}

/** The WebAuthn user handle: the user id's bytes (no email or name in it). */
export const userHandleOf = (userId: string) => new TextEncoder().encode(userId);

export interface Ceremony {
  /** PublicKeyCredentialCreationOptionsJSON / RequestOptionsJSON for the page's script. */
  options: unknown;
  /** The sealed challenge, posted back with the answer. */
  sealed: string;
}

export async function passkeyRegistrationOptions(deps: Deps, caller: Principal, userId: string): Promise<Ceremony> {
  authorize(deps, caller, 'mfa.self', { userId });
  const user = findUserById(deps, userId);
  if (!user || user.deletedAt) throw new AppError('unauthorized', 'Sign in again');
  const rp = relyingPartyOf(deps);
  const options = await (await webauthn()).generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userName: user.email,
    userDisplayName: user.fullName ?? user.email,
    userID: userHandleOf(user.id),
    attestationType: 'none',
    excludeCredentials: listPasskeysOf(deps, user.id).map((p) => ({ id: p.credential_id, transports: JSON.parse(p.transports) as string[] })),
    authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
  });
  return { options, sealed: sealCeremony(deps, 'register', options.challenge, user.id) };
}

const NAME = /^[^\p{C}]{1,64}$/u;

export async function registerPasskey(deps: Deps, caller: Principal, userId: string, input: { sealed?: string; response?: string; name?: string }): Promise<PasskeyView> {
  authorize(deps, caller, 'mfa.self', { userId });
  const name = (input.name ?? '').trim() || 'Passkey';
  if (!NAME.test(name)) throw validationError('A passkey name is 1 to 64 printable characters');
  const ceremony = openCeremony(deps, input.sealed, 'register', userId);
  const response = registrationResponseOf(input.response);
  const rp = relyingPartyOf(deps);
  let verification;
  try {
    verification = await (await webauthn()).verifyRegistrationResponse({
      response,
      expectedChallenge: ceremony.challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserVerification: true,
    });
  } catch (err) {
    throw new AppError('unauthorized', `The passkey was not accepted: ${(err as Error).message}`);
  }
  if (!verification.verified) throw new AppError('unauthorized', 'The passkey was not accepted');
  const info = verification.registrationInfo;
  const now = deps.clock.nowMs();
  return deps.sqlite.transaction(() => {
    if (!spendCeremony(deps, ceremony)) throw new AppError('unauthorized', 'This passkey step was already used; start again');
    if (findPasskey(deps, info.credential.id)) throw conflict('This passkey is already registered');
    insertPasskey(deps, {
      credential_id: info.credential.id,
      user_id: userId,
      name,
      public_key: Buffer.from(info.credential.publicKey),
      counter: info.credential.counter,
      transports: JSON.stringify(info.credential.transports ?? []),
      device_type: info.credentialDeviceType,
      backed_up: info.credentialBackedUp ? 1 : 0,
      created_at: now,
      last_used_at: null,
    });
    deps.audit.append(deps.platformTenantId(), {
      actor: caller,
      type: 'passkey.registered',
      target: { type: 'user', id: userId },
      payload: { userId, credentialId: info.credential.id, name, deviceType: info.credentialDeviceType, backedUp: info.credentialBackedUp },
    });
    return viewOf(findPasskey(deps, info.credential.id)!);
  })();
}

function viewOf(row: NonNullable<ReturnType<typeof findPasskey>>): PasskeyView {
  return {
    id: row.credential_id,
    name: row.name,
    createdAt: new Date(row.created_at).toISOString(),
    lastUsedAt: row.last_used_at === null ? null : new Date(row.last_used_at).toISOString(),
    backedUp: row.backed_up === 1,
  };
}

export function listPasskeys(deps: Deps, caller: Principal, userId: string): PasskeyView[] {
  authorize(deps, caller, 'mfa.self', { userId });
  return listPasskeysOf(deps, userId).map(viewOf);
}

export function removePasskey(deps: Deps, caller: Principal, userId: string, credentialId: string): void {
  authorize(deps, caller, 'mfa.self', { userId });
  deps.sqlite.transaction(() => {
    const row = findPasskey(deps, credentialId);
    if (!row || row.user_id !== userId || !deletePasskey(deps, userId, credentialId)) throw notFound('Passkey');
    deps.audit.append(deps.platformTenantId(), {
      actor: caller,
      type: 'passkey.removed',
      target: { type: 'user', id: userId },
      payload: { userId, credentialId, name: row.name },
    });
  })();
}
