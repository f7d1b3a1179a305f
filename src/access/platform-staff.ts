import type { GlobalRole } from '../identity/tables.ts';

/** PLATFORM_ADMIN and the legacy PLATFORM_SUPERADMIN may change anything on the platform (seed 002 §5.1). */
export function isPlatformAdmin(role: GlobalRole): boolean {
  return role === 'PLATFORM_ADMIN' || role === 'PLATFORM_SUPERADMIN';
}

/** Platform staff also includes PLATFORM_MODERATOR, who may read. */
export function isPlatformStaff(role: GlobalRole): boolean {
  return role !== 'NONE';
}
