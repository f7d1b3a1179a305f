import type { AdminUserOut } from '../../identity/user-admin.ts';
import type { BusinessUnitMembershipEntry, CompanyMembershipEntry } from '../../memberships/memberships.ts';
import type { Column, Output } from '../output.ts';

/** How `kimauth users …` prints users and memberships (tables and records), shared by its command files. */

export const USER_COLUMNS: Column<AdminUserOut>[] = [
  { header: 'email', value: (u) => u.email },
  { header: 'name', value: (u) => u.fullName },
  { header: 'global role', value: (u) => u.globalRole },
  { header: 'approval', value: (u) => u.approvalStatus },
  { header: 'active', value: (u) => (u.isActive ? 'yes' : 'no') },
  { header: 'id', value: (u) => u.id },
];

export const COMPANY_MEMBERSHIP_COLUMNS: Column<CompanyMembershipEntry>[] = [
  { header: 'tenant', value: (m) => m.companySlug },
  { header: 'role', value: (m) => m.role },
  { header: 'active', value: (m) => (m.isActive ? 'yes' : 'no') },
  { header: 'approval limit', value: (m) => m.approvalLimit },
  { header: 'metadata', value: (m) => (Object.keys(m.metadata).length ? m.metadata : null) },
];

export const BU_MEMBERSHIP_COLUMNS: Column<BusinessUnitMembershipEntry & { companySlug: string }>[] = [
  { header: 'tenant', value: (m) => m.companySlug },
  { header: 'business unit', value: (m) => m.businessUnitId },
  { header: 'role', value: (m) => m.role },
  { header: 'active', value: (m) => (m.isActive ? 'yes' : 'no') },
  { header: 'metadata', value: (m) => (Object.keys(m.metadata).length ? m.metadata : null) },
];

export function printUser(out: Output, user: AdminUserOut, headline?: string): void {
  out.result(user, () => {
    if (headline) out.line(headline);
    out.record([
      ['email', user.email],
      ['name', user.fullName],
      ['id', user.id],
      ['global role', user.globalRole],
      ['approval', user.approvalStatus],
      ['active', user.isActive ? 'yes' : 'no'],
      ['auth provider', user.authProvider],
      ['phone', user.phoneNumber],
      ['picture', user.profilePictureUrl],
      ['token version', user.tokenVersion],
      ['created', user.createdAt],
      ['updated', user.updatedAt],
      ['deleted', user.deletedAt],
    ]);
  });
}
