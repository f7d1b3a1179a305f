import { validationError } from '../app/errors.ts';

/** The modules of seed 002 §13; operators may define more (module_catalog). */
export const BUILTIN_MODULES = ['basic', 'finance', 'ai', 'touring', 'market', 'venue'] as const;

/** Lower-case, starts with a letter, no dots (a dot separates a permission's module from its action). */
export const MODULE_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,39}$/;
/** Letters, digits and `._:-`; no wildcard (wildcards exist only in delegation limits). */
export const PERMISSION_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$/;
/** A delegation-limit entry: an exact permission, `prefix.*`, or `*`. */
export const PERMISSION_LIMIT_PATTERN = /^(\*|[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}(\.\*)?)$/;

export function normalizeModules(modules: readonly string[]): string[] {
  const out = new Set<string>();
  for (const raw of modules) {
    const name = raw.trim().toLowerCase();
    if (!name) continue;
    if (!MODULE_NAME_PATTERN.test(name)) {
      throw validationError(`Invalid module name "${raw}": use a-z, 0-9, _ or -, starting with a letter`);
    }
    out.add(name);
  }
  return [...out].sort();
}

export function normalizePermissions(permissions: readonly string[]): string[] {
  const out = new Set<string>();
  for (const raw of permissions) {
    const value = raw.trim();
    if (!value) continue;
    if (!PERMISSION_PATTERN.test(value)) {
      throw validationError(`Invalid permission "${raw}": use letters, digits, '.', ':', '_' or '-' (no wildcards)`);
    }
    out.add(value);
  }
  return [...out].sort();
}

export function normalizePermissionLimits(patterns: readonly string[]): string[] {
  const out = new Set<string>();
  for (const raw of patterns) {
    const value = raw.trim();
    if (!value) continue;
    if (!PERMISSION_LIMIT_PATTERN.test(value)) {
      throw validationError(`Invalid permission limit "${raw}": an exact permission, "prefix.*" or "*"`);
    }
    out.add(value);
  }
  return [...out].sort();
}

/** The module a permission belongs to: its first dot-separated segment (`finance.expense.view` → `finance`). */
export function permissionModule(permission: string): string | null {
  const dot = permission.indexOf('.');
  return dot > 0 ? permission.slice(0, dot) : null;
}

/** Whether a delegation-limit pattern covers a permission. */
export function permissionMatches(pattern: string, permission: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return permission.startsWith(pattern.slice(0, -1));
  return pattern === permission;
}
