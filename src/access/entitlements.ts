import type { Deps } from '../app/deps.ts';
import { AppError, conflict } from '../app/errors.ts';
import { authorize } from '../authorization/policy.ts';
import type { Principal } from '../authorization/principal.ts';
import type { TenantRow } from '../tenants/tables.ts';
import type { RemoteEntitlementsEntry } from './access-caches.ts';
import { BUILTIN_MODULES, MODULE_NAME_PATTERN, normalizeModules } from './modules.ts';
import { deleteEntitlement, insertDefinedModule, insertEntitlement, selectDefinedModules, selectEntitledModules } from './store.ts';
import { memberIdsOfCompany } from '../memberships/memberships.ts';
import { trackPermissionChanges } from '../permissions/permission-changes.ts';

/** How long a remote answer is used without asking again. */
export const ENTITLEMENTS_CACHE_MS = 60_000;
/** How long a remote answer may still be served while the service is unreachable. */
export const ENTITLEMENTS_STALE_MS = 60 * 60_000;
const FETCH_TIMEOUT_MS = 3_000;

export interface CompanyEntitlements {
  companyId: string;
  /** Modules the company has, sorted. */
  modules: string[];
  /** Every module name the source mentioned (remote maps may list modules as false). */
  listed: string[];
  source: 'local' | 'remote';
  /** Remote only: when the answer was fetched, and whether it is past ENTITLEMENTS_CACHE_MS (service down). */
  fetchedAt?: Date;
  stale?: boolean;
  /** Remote only: when the answer stops being used as fresh (for caches built on top of it). */
  freshUntilMs: number;
}

export function entitlementsAreRemote(deps: Deps): boolean {
  return Boolean(deps.config.entitlementsUrl);
}

/** Built-in modules plus every module an operator defined. */
export function catalogModules(deps: Deps): string[] {
  return [...new Set([...BUILTIN_MODULES, ...selectDefinedModules(deps)])].sort();
}

function localEntitlements(deps: Deps, companyId: string): CompanyEntitlements {
  const modules = selectEntitledModules(deps, companyId).sort();
  return { companyId, modules, listed: modules, source: 'local', freshUntilMs: Number.POSITIVE_INFINITY };
}

/**
 * Accepted response shapes of `GET {KIMAUTH_ENTITLEMENTS_URL}/internal/companies/{id}/entitlements`, with or
 * without the seed's `{success, data}` envelope:
 *   `{"modules": ["basic", "finance"]}` · `{"data": {"modules": [...]}}` · `{"modules": {"finance": true}}` ·
 *   `{"finance": true, "ai": false}` · `[{"module": "finance", "enabled": true}]` (also `name`/`key`).
 */
export function parseEntitlementsResponse(body: unknown): { modules: string[]; listed: string[] } {
  let value: unknown = body;
  if (value && typeof value === 'object' && !Array.isArray(value) && 'data' in value) value = (value as { data: unknown }).data;
  if (value && typeof value === 'object' && !Array.isArray(value) && 'modules' in value) value = (value as { modules: unknown }).modules;
  const enabled = new Set<string>();
  const listed = new Set<string>();
  const add = (name: unknown, on: unknown) => {
    if (typeof name !== 'string') throw new Error(`module name ${JSON.stringify(name)} is not a string`);
    const module = name.trim().toLowerCase();
    if (!MODULE_NAME_PATTERN.test(module)) throw new Error(`invalid module name ${JSON.stringify(name)}`);
    listed.add(module);
    if (on === true) enabled.add(module);
  };
  if (Array.isArray(value)) {
    for (const item of value) {
      if (typeof item === 'string') add(item, true);
      else if (item && typeof item === 'object') {
        const o = item as Record<string, unknown>;
        add(o.module ?? o.name ?? o.key, o.enabled ?? o.active ?? true);
      } else throw new Error('unexpected item in modules list');
    }
  } else if (value && typeof value === 'object') {
    for (const [name, on] of Object.entries(value)) {
      if (typeof on !== 'boolean') throw new Error(`module "${name}" must map to true or false`);
      add(name, on);
    }
  } else {
    throw new Error('expected a modules list or a module → boolean map');
  }
  return { modules: [...enabled].sort(), listed: [...listed].sort() };
}

async function fetchRemote(deps: Deps, companyId: string): Promise<RemoteEntitlementsEntry> {
  const base = deps.config.entitlementsUrl!.replace(/\/+$/, '');
  const url = `${base}/internal/companies/${encodeURIComponent(companyId)}/entitlements`;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (deps.config.internalApiKey) headers['x-internal-api-key'] = deps.config.internalApiKey;
  const response = await deps.http(url, { headers, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  if (response.status === 404) {
    // The service does not know the company: it has bought nothing.
    return { modules: [], listed: [], fetchedAtMs: deps.clock.nowMs() };
  }
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const parsed = parseEntitlementsResponse(await response.json());
  return { ...parsed, fetchedAtMs: deps.clock.nowMs() };
}

/**
 * Remote mode: a fresh cached answer is used as is; otherwise the service is asked (one call per company at a
 * time). When the service fails, an answer younger than ENTITLEMENTS_STALE_MS is served (marked stale);
 * with nothing usable cached the caller gets 503 service_unavailable.
 */
async function remoteEntitlements(deps: Deps, companyId: string): Promise<CompanyEntitlements> {
  const caches = deps.accessCaches;
  const now = deps.clock.nowMs();
  const cached = caches.remoteEntitlements.get(companyId);
  const view = (entry: RemoteEntitlementsEntry, stale: boolean): CompanyEntitlements => ({
    companyId,
    modules: entry.modules,
    listed: entry.listed,
    source: 'remote',
    fetchedAt: new Date(entry.fetchedAtMs),
    stale,
    freshUntilMs: stale ? now : entry.fetchedAtMs + ENTITLEMENTS_CACHE_MS,
  });
  if (cached && now - cached.fetchedAtMs < ENTITLEMENTS_CACHE_MS) return view(cached, false);

  let pending = caches.remoteFetches.get(companyId);
  if (!pending) {
    pending = fetchRemote(deps, companyId).finally(() => caches.remoteFetches.delete(companyId));
    caches.remoteFetches.set(companyId, pending);
  }
  try {
    const entry = await pending;
    caches.remoteEntitlements.set(companyId, entry);
    return view(entry, false);
  } catch (err) {
    if (cached && now - cached.fetchedAtMs < ENTITLEMENTS_STALE_MS) {
      deps.logger.warn({ companyId, err: (err as Error).message }, 'entitlements service unreachable; serving the cached answer');
      return view(cached, true);
    }
    deps.logger.error({ companyId, err: (err as Error).message }, 'entitlements service unreachable');
    throw new AppError('service_unavailable', 'The entitlements service is unreachable; try again shortly');
  }
}

/**
 * Level 1 without waiting, for synchronous paths (token claims): the local rows, or the remote answer an earlier
 * getCompanyEntitlements cached while it is usable; null when remote and nothing usable is cached.
 */
export function companyEntitlementsNow(deps: Deps, companyId: string): CompanyEntitlements | null {
  if (!entitlementsAreRemote(deps)) return localEntitlements(deps, companyId);
  const cached = deps.accessCaches.remoteEntitlements.get(companyId);
  const now = deps.clock.nowMs();
  if (!cached || now - cached.fetchedAtMs >= ENTITLEMENTS_STALE_MS) return null;
  const stale = now - cached.fetchedAtMs >= ENTITLEMENTS_CACHE_MS;
  return {
    companyId,
    modules: cached.modules,
    listed: cached.listed,
    source: 'remote',
    fetchedAt: new Date(cached.fetchedAtMs),
    stale,
    freshUntilMs: stale ? now : cached.fetchedAtMs + ENTITLEMENTS_CACHE_MS,
  };
}

/** GET /internal/companies/{id}/entitlements and `tenants entitlements show`: platform staff and the operator. */
export async function readCompanyEntitlements(deps: Deps, caller: Principal, company: TenantRow): Promise<CompanyEntitlements> {
  authorize(deps, caller, 'entitlements.read', { companyId: company.id });
  return getCompanyEntitlements(deps, company.id);
}

/** Level 1 of one company: from kimauth's own tables, or from KIMAUTH_ENTITLEMENTS_URL when set. */
export async function getCompanyEntitlements(deps: Deps, companyId: string): Promise<CompanyEntitlements> {
  return entitlementsAreRemote(deps) ? remoteEntitlements(deps, companyId) : localEntitlements(deps, companyId);
}

/**
 * Replaces a company's entitlements (local mode only). Module names not built in and not yet defined are
 * added to the catalog, so operators define new modules simply by selling them. Audited in the company's
 * chain (entitlements.updated) and, for new modules, in the platform chain (module.defined).
 */
export function setCompanyEntitlements(deps: Deps, company: TenantRow, modules: readonly string[], caller: Principal): CompanyEntitlements {
  authorize(deps, caller, 'entitlements.set', { companyId: company.id });
  const actor = caller;
  if (entitlementsAreRemote(deps)) {
    throw conflict('Entitlements come from KIMAUTH_ENTITLEMENTS_URL on this instance; change them in that service');
  }
  const next = normalizeModules(modules);
  return deps.sqlite.transaction(() => {
    const before = localEntitlements(deps, company.id).modules;
    const added = next.filter((m) => !before.includes(m));
    const removed = before.filter((m) => !next.includes(m));
    const known = new Set(catalogModules(deps));
    const now = deps.clock.now();
    const defined = next.filter((m) => !known.has(m));
    for (const name of defined) {
      insertDefinedModule(deps, name, now);
      deps.audit.append(deps.platformTenantId(), { actor, type: 'module.defined', target: { type: 'module', id: name }, payload: { companyId: company.id } });
    }
    // Members whose permissions a module gated gain or lose them: permissions.changed (src/permissions) names them.
    trackPermissionChanges(deps, company.id, actor, () => (added.length || removed.length ? memberIdsOfCompany(deps, company.id) : []), () => {
      for (const module of removed) deleteEntitlement(deps, company.id, module);
      for (const module of added) insertEntitlement(deps, company.id, module, now);
    });
    if (added.length || removed.length) {
      deps.audit.append(company.id, {
        actor,
        type: 'entitlements.updated',
        target: { type: 'tenant', id: company.id },
        payload: { modules: next, added, removed },
      });
    }
    return localEntitlements(deps, company.id);
  })();
}
