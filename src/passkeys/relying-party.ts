import type { Deps } from '../app/deps.ts';

/** The WebAuthn relying party: its ID is the host of the public URL (KIMAUTH_PUBLIC_URL), the one origin allowed. */
export interface RelyingParty {
  id: string;
  origin: string;
  name: string;
}

export function relyingPartyOf(deps: Deps): RelyingParty {
  const url = new URL(deps.config.publicUrl);
  return { id: url.hostname, origin: url.origin, name: deps.config.emailAppName };
}
