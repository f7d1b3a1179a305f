/**
 * The in-memory state of the access context, one per Deps (per server or CLI run), never a module singleton.
 * Both caches are read-through: entries are checked on every read, never trusted blindly.
 */
export interface RemoteEntitlementsEntry {
  /** Modules the company has. */
  modules: string[];
  /** Every module name the service mentioned (including ones mapped to false). */
  listed: string[];
  fetchedAtMs: number;
}

export interface CachedAccessEntry<T> {
  /** access_version when computed; any later relevant write bumps it. */
  version: number;
  /** Remote entitlements expire; local ones never do (the version covers them). */
  validUntilMs: number;
  value: T;
}

export interface AccessCaches {
  remoteEntitlements: Map<string, RemoteEntitlementsEntry>;
  /** In-flight fetches, so a burst of requests for one company makes one call. */
  remoteFetches: Map<string, Promise<RemoteEntitlementsEntry>>;
  /** /auth/me/access results keyed by `${userId}:${companyId}`. */
  meAccess: Map<string, CachedAccessEntry<unknown>>;
  /** Effective permissions (src/permissions) keyed by `${tenantId}\0${subjectType}\0${subjectId}`. */
  effectivePermissions: Map<string, CachedAccessEntry<unknown>>;
  /** A tenant's roles, groups and grants as loaded by src/permissions, keyed by tenant id. */
  permissionGraphs: Map<string, CachedAccessEntry<unknown>>;
}

/** Upper bound on cached /auth/me/access entries; the oldest go first when it is reached. */
export const ME_ACCESS_CACHE_LIMIT = 10_000;

export function createAccessCaches(): AccessCaches {
  return { remoteEntitlements: new Map(), remoteFetches: new Map(), meAccess: new Map(), effectivePermissions: new Map(), permissionGraphs: new Map() };
}
