import type { Deps } from '../app/deps.ts';
import { normalizeModules, normalizePermissionLimits } from './modules.ts';
import { selectAccessSettings } from './store.ts';
import type { DelegationLimit, DelegationLimits } from './tables.ts';

/** A company's delegation settings (§15), as stored; the rules that read them are in src/authorization/. */
export interface DelegationPolicy {
  limits: DelegationLimits;
  /** Whether MANAGER may create invitations (§4.9 "optionally MANAGER depending on product policy"). */
  managersMayInvite: boolean;
}

export const DEFAULT_POLICY: DelegationPolicy = { limits: { ADMIN: null, MANAGER: null }, managersMayInvite: false };

export function getDelegationPolicy(deps: Deps, companyId: string): DelegationPolicy {
  const row = selectAccessSettings(deps, companyId);
  return row ? { limits: row.delegationLimits, managersMayInvite: row.managersMayInvite } : DEFAULT_POLICY;
}

export function normalizeLimit(limit: DelegationLimit | null | undefined): DelegationLimit | null {
  if (!limit) return null;
  return { modules: normalizeModules(limit.modules), permissions: normalizePermissionLimits(limit.permissions) };
}
