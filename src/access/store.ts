import type { Deps } from '../app/deps.ts';
import type { DelegationLimits } from './tables.ts';

/**
 * Every statement on the access tables: the module catalog, company entitlements (level 1), membership module
 * grants and permissions (levels 2 and 3), delegation settings, default-company preferences and access_version.
 * Prepared once per Deps through deps.statement; the rules and transactions stay in the services.
 */

// ——— access_version (bumped by triggers on every write that can change anyone's access) ———

export function selectAccessVersion(deps: Deps): number {
  return (deps.statement('SELECT version FROM access_version WHERE id = 1').pluck().get() as number | undefined) ?? 0;
}

// ——— module catalog and entitlements ———

export function selectDefinedModules(deps: Deps): string[] {
  return deps.statement('SELECT name FROM module_catalog').pluck().all() as string[];
}

export function insertDefinedModule(deps: Deps, name: string, createdAt: Date): void {
  deps.statement('INSERT INTO module_catalog (name, created_at) VALUES (?, ?)').run(name, createdAt.getTime());
}

export function selectEntitledModules(deps: Deps, companyId: string): string[] {
  return deps.statement('SELECT module FROM company_entitlements WHERE company_id = ?').pluck().all(companyId) as string[];
}

export function insertEntitlement(deps: Deps, companyId: string, module: string, createdAt: Date): void {
  deps.statement('INSERT INTO company_entitlements (company_id, module, created_at) VALUES (?, ?, ?)').run(companyId, module, createdAt.getTime());
}

export function deleteEntitlement(deps: Deps, companyId: string, module: string): void {
  deps.statement('DELETE FROM company_entitlements WHERE company_id = ? AND module = ?').run(companyId, module);
}

// ——— membership grants ———

export function selectModuleGrants(deps: Deps, companyId: string, userId: string): string[] {
  return deps.statement('SELECT module FROM membership_modules WHERE company_id = ? AND user_id = ?').pluck().all(companyId, userId) as string[];
}

export function selectPermissionGrants(deps: Deps, companyId: string, userId: string): string[] {
  return deps
    .statement('SELECT permission FROM membership_permissions WHERE company_id = ? AND user_id = ?')
    .pluck()
    .all(companyId, userId) as string[];
}

export interface GrantRow {
  companyId: string;
  userId: string;
  grantedBy: string | null;
  createdAt: Date;
}

export function insertModuleGrant(deps: Deps, grant: GrantRow, module: string): void {
  deps
    .statement('INSERT INTO membership_modules (company_id, user_id, module, granted_by, created_at) VALUES (?, ?, ?, ?, ?)')
    .run(grant.companyId, grant.userId, module, grant.grantedBy, grant.createdAt.getTime());
}

export function deleteModuleGrant(deps: Deps, companyId: string, userId: string, module: string): void {
  deps.statement('DELETE FROM membership_modules WHERE company_id = ? AND user_id = ? AND module = ?').run(companyId, userId, module);
}

export function insertPermissionGrant(deps: Deps, grant: GrantRow, permission: string): void {
  deps
    .statement('INSERT INTO membership_permissions (company_id, user_id, permission, granted_by, created_at) VALUES (?, ?, ?, ?, ?)')
    .run(grant.companyId, grant.userId, permission, grant.grantedBy, grant.createdAt.getTime());
}

export function deletePermissionGrant(deps: Deps, companyId: string, userId: string, permission: string): void {
  deps.statement('DELETE FROM membership_permissions WHERE company_id = ? AND user_id = ? AND permission = ?').run(companyId, userId, permission);
}

// ——— delegation settings ———

export interface AccessSettingsRecord {
  delegationLimits: DelegationLimits;
  managersMayInvite: boolean;
}

export function selectAccessSettings(deps: Deps, companyId: string): AccessSettingsRecord | undefined {
  const r = deps.statement('SELECT delegation_limits, managers_may_invite FROM company_access_settings WHERE company_id = ?').get(companyId) as
    | { delegation_limits: string; managers_may_invite: number }
    | undefined;
  return r ? { delegationLimits: JSON.parse(r.delegation_limits) as DelegationLimits, managersMayInvite: r.managers_may_invite === 1 } : undefined;
}

export function upsertAccessSettings(deps: Deps, companyId: string, settings: AccessSettingsRecord, updatedAt: Date): void {
  deps
    .statement(
      `INSERT INTO company_access_settings (company_id, delegation_limits, managers_may_invite, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (company_id) DO UPDATE SET delegation_limits = excluded.delegation_limits,
         managers_may_invite = excluded.managers_may_invite, updated_at = excluded.updated_at`,
    )
    .run(companyId, JSON.stringify(settings.delegationLimits), settings.managersMayInvite ? 1 : 0, updatedAt.getTime());
}

// ——— default company ———

export function selectDefaultCompanyId(deps: Deps, userId: string): string | null {
  return (deps.statement('SELECT default_company_id FROM user_access_preferences WHERE user_id = ?').pluck().get(userId) as string | null | undefined) ?? null;
}

export function upsertDefaultCompany(deps: Deps, userId: string, companyId: string | null, updatedAt: Date): void {
  deps
    .statement(
      `INSERT INTO user_access_preferences (user_id, default_company_id, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (user_id) DO UPDATE SET default_company_id = excluded.default_company_id, updated_at = excluded.updated_at`,
    )
    .run(userId, companyId, updatedAt.getTime());
}
