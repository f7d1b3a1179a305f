import type { KeyObject } from 'node:crypto';
import type { Deps } from '../app/deps.ts';
import { publicKeysOf } from './rs256.ts';
import { TokenSignatureError, verifyJws } from './tenant-jws.ts';

/**
 * Verifies tenant-scoped access tokens presented to kimauth itself (the authorization check's subject, act-as): the tenant's own keys
 * (never another tenant's), its issuer, and `exp` on the injected clock. A resource server checks the same
 * token many times in its lifetime, so verified signatures are remembered by token string (claims and expiry are
 * re-checked every time); the memory is emptied when the tenant's key set changes.
 */
const CACHE_SIZE = 10_000;

export interface TenantTokenClaims {
  sub: string;
  actor_type: string;
  tenant: string;
  can: string[];
  exp: number;
  owner?: { type: string; id: string };
  act?: { sub: string };
  [claim: string]: unknown;
}

export class TenantTokenVerifier {
  private keys = new Map<string, { jwks: object; byKid: Map<string, KeyObject> }>();
  private verified = new Map<string, Record<string, unknown>>();

  constructor(private readonly deps: Deps) {}

  private keysOf(tenantId: string): Map<string, KeyObject> {
    const jwks = this.deps.keyring.jwks(tenantId);
    const known = this.keys.get(tenantId);
    if (known?.jwks === jwks) return known.byKid;
    const byKid = publicKeysOf(jwks as unknown as { keys: Array<Record<string, unknown>> });
    this.keys.set(tenantId, { jwks, byKid });
    this.verified.clear();
    return byKid;
  }

  /** The claims, or null when the token is not a live token of this tenant. */
  verify(tenant: { id: string; slug: string }, issuer: string, token: string): TenantTokenClaims | null {
    this.keysOf(tenant.id);
    let payload = this.verified.get(token);
    if (!payload) {
      try {
        // RS256, ES256 or EdDSA: whatever the tenant signs with (issue 11 §6), by its own keys only.
        payload = verifyJws(token, this.deps.keyring.jwks(tenant.id)).payload;
      } catch (err) {
        if (err instanceof TokenSignatureError) return null;
        throw err;
      }
      if (this.verified.size >= CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(token, payload);
    }
    if (payload.iss !== issuer || payload.tenant !== tenant.slug) return null;
    if (typeof payload.exp !== 'number' || payload.exp <= this.deps.clock.nowSeconds()) return null;
    if (typeof payload.sub !== 'string' || typeof payload.actor_type !== 'string' || !Array.isArray(payload.can)) return null;
    return payload as TenantTokenClaims;
  }
}
