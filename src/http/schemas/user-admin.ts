import { z } from 'zod';
import { Uuid } from '../../app/uuid.ts';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../../identity/user-admin.ts';
import { ApprovalStatusSchema as ApprovalStatus, AuthProviderSchema as AuthProvider, GlobalRoleSchema as GlobalRole, PasswordSchema as Password } from '../../identity/user-input.ts';
import {
  BusinessUnitRoleSchema as BusinessUnitRole,
  CompanyRoleSchema as CompanyRole,
  MembershipMetadataSchema as Metadata,
} from '../../memberships/membership-input.ts';

export { Uuid };

/*
 * Response and query schemas of seed 002 §5 with the seed's names (the input schemas live in their contexts:
 * identity/user-input.ts, memberships/membership-input.ts). `.meta({ id })` registers each in zod's
 * registry, so /openapi.json lists them under components.schemas and routes refer to them by $ref.
 */

const ScopeShortcuts = {
  invoiceViewScope: z.unknown().optional().meta({ description: 'Copied from metadata when present there' }),
  canEditOthersScope: z.unknown().optional().meta({ description: 'Copied from metadata when present there' }),
  canEditOthersInvoices: z.unknown().optional().meta({ description: 'Copied from metadata when present there' }),
};

export const CompanyMembershipOut = z
  .object({
    id: Uuid,
    userId: Uuid,
    companyId: Uuid,
    companySlug: z.string(),
    companyName: z.string(),
    role: CompanyRole,
    isActive: z.boolean(),
    approvalLimit: z.string().nullable(),
    metadata: Metadata,
    ...ScopeShortcuts,
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'CompanyMembership' });

export const BusinessUnitMembershipOut = z
  .object({
    id: Uuid,
    userId: Uuid,
    companyId: Uuid,
    businessUnitId: Uuid,
    role: BusinessUnitRole,
    isActive: z.boolean(),
    metadata: Metadata,
    ...ScopeShortcuts,
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'BusinessUnitMembership' });

export const AdminUserOut = z
  .object({
    id: Uuid,
    email: z.string(),
    fullName: z.string(),
    phoneNumber: z.string().nullable(),
    profilePictureUrl: z.string().nullable(),
    authProvider: AuthProvider,
    globalRole: GlobalRole,
    approvalStatus: ApprovalStatus,
    isActive: z.boolean(),
    tokenVersion: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
    deletedAt: z.string().nullable(),
    memberships: z.object({
      companyMemberships: z.array(CompanyMembershipOut),
      businessUnitMemberships: z.array(BusinessUnitMembershipOut),
    }),
  })
  .meta({ id: 'AdminUserOut' });

export const AdminUserList = z
  .object({ users: z.array(AdminUserOut), total: z.number().int(), limit: z.number().int().optional(), offset: z.number().int().optional() })
  .meta({ id: 'AdminUserList' });

export const UserContextOut = z
  .object({
    id: Uuid,
    email: z.string(),
    name: z.string(),
    globalRole: GlobalRole,
    roles: z.string(),
    tokenVersion: z.number().int(),
    isVendor: z.boolean(),
    vendorId: z.string().nullable(),
    approvalStatus: z.enum(['PENDING', 'APPROVED', 'REJECTED']),
    isActive: z.boolean(),
    authProvider: z.string(),
    phoneNumber: z.string().nullable(),
    profilePictureUrl: z.string().nullable(),
    companyMemberships: z.array(CompanyMembershipOut),
    businessUnitMemberships: z.array(BusinessUnitMembershipOut),
  })
  .meta({ id: 'UserContext' });

const QueryBool = z.enum(['true', 'false']).transform((v) => v === 'true');

export const ListUsersQuery = z.object({
  approvalStatus: ApprovalStatus.optional(),
  globalRole: GlobalRole.optional(),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
  offset: z.coerce.number().int().min(0).default(0),
  includeDeleted: QueryBool.optional(),
});

export const SetPasswordRequest = z
  .object({ token: z.string().min(1).max(512), newPassword: Password })
  .strict()
  .meta({ id: 'SetPasswordRequest' });

/** The success envelope of seed 002 §2 around a data schema, for documentation. */
export function envelope<T extends z.ZodType>(data: T) {
  return z.object({ success: z.literal(true), data });
}

export const ErrorEnvelope = z
  .object({ success: z.literal(false), error: z.object({ code: z.string(), message: z.string() }) })
  .meta({ id: 'ErrorEnvelope' });
