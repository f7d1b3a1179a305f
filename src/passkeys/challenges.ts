import type { Deps } from '../app/deps.ts';
import { AppError } from '../app/errors.ts';
import { openSealedText, sealToText } from '../keys/master-key.ts';
import { spendChallenge } from './store.ts';

/**
 * A ceremony's challenge travels sealed (AES-GCM under the master key) in the page that starts it, bound to its
 * purpose and, for registration, the user: no row for a page nobody finishes. Using it records it, so a ceremony
 * is accepted once.
 */
export const CEREMONY_TTL_MS = 5 * 60_000;

export type CeremonyPurpose = 'register' | 'authenticate';

interface Ceremony {
  challenge: string;
  userId: string | null;
  exp: number;
}

const context = (purpose: CeremonyPurpose) => `passkey-ceremony:${purpose}`;

export function sealCeremony(deps: Deps, purpose: CeremonyPurpose, challenge: string, userId: string | null): string {
  const ceremony: Ceremony = { challenge, userId, exp: deps.clock.nowMs() + CEREMONY_TTL_MS };
  return sealToText(deps.masterKeys, JSON.stringify(ceremony), context(purpose));
}

const EXPIRED = () => new AppError('unauthorized', 'This passkey step has expired; start again');

/** The challenge of a sealed ceremony of this purpose (and user), or 401 when it is not one, expired, or another user's. */
export function openCeremony(deps: Deps, sealed: string | undefined, purpose: CeremonyPurpose, userId: string | null): Ceremony {
  if (!sealed || sealed.length > 2048) throw EXPIRED();
  let ceremony: Ceremony;
  try {
    ceremony = JSON.parse(openSealedText(deps.masterKeys, sealed, context(purpose))) as Ceremony;
  } catch {
    throw EXPIRED();
  }
  if (ceremony.exp <= deps.clock.nowMs() || ceremony.userId !== userId) throw EXPIRED();
  return ceremony;
}

/** Inside the transaction of the change the ceremony makes: false when it was used before. */
export function spendCeremony(deps: Deps, ceremony: Ceremony): boolean {
  return spendChallenge(deps, ceremony.challenge, ceremony.exp);
}
