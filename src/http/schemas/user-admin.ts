import { z } from 'zod';
import { withoutControlCharacters } from '../../app/plain-text.ts';
import { APPROVAL_STATUSES, AUTH_PROVIDERS, GLOBAL_ROLES } from '../../identity/tables.ts';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../../identity/passwords.ts';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../../identity/user-admin.ts';
import { BUSINESS_UNIT_ROLES, COMPANY_ROLES } from '../../memberships/tables.ts';
import { APPROVAL_LIMIT_PATTERN } from '../../memberships/memberships.ts';

/*
 * Request and response schemas of seed 002 §5 with the seed's names. `.meta({ id })` registers each in zod's
 * registry, so /openapi.json lists them under components.schemas and routes refer to them by $ref.
 */

/** Any 8-4-4-4-12 hex id; anything else is 400 validation_error. */
export const Uuid = z.guid({ message: 'must be a UUID' });

const GlobalRole = z.enum(GLOBAL_ROLES).meta({ id: 'GlobalRole' });
const ApprovalStatus = z.enum(APPROVAL_STATUSES).meta({ id: 'ApprovalStatus' });
const AuthProvider = z.enum(AUTH_PROVIDERS).meta({ id: 'AuthProvider' });
const CompanyRole = z.enum(COMPANY_ROLES).meta({ id: 'CompanyRole', description: 'Highest rank first' });
const BusinessUnitRole = z.enum(BUSINESS_UNIT_ROLES).meta({ id: 'BusinessUnitRole' });
const Password = z.string().min(MIN_PASSWORD_LENGTH).max(MAX_PASSWORD_LENGTH);
/** Empty strings count as omitted (seed 002 §4.1). */
const OptionalText = (max: number) =>
  z
    .string()
    .max(max)
    .optional()
    .transform((v) => (v === '' ? undefined : v));

export const Metadata = z
  .record(z.string(), z.unknown())
  .meta({ id: 'MembershipMetadata', description: 'Free JSON object (seed 002 §5.2a). Omitted → kept; {} → cleared; object → replaces.' });

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

export const CreateUserRequest = z
  .object({
    email: z.string().min(3).max(254),
    password: Password.optional().meta({ description: 'Optional. Never mailed; the welcome mail carries a set-password link.' }),
    fullName: withoutControlCharacters(z.string().min(1).max(200)),
    phoneNumber: withoutControlCharacters(OptionalText(64)),
    profilePictureUrl: OptionalText(2048),
    authProvider: AuthProvider.optional(),
    globalRole: GlobalRole.optional(),
    isActive: z.boolean().optional().meta({ description: 'Default true' }),
    approvalStatus: ApprovalStatus.optional().meta({ description: 'Default APPROVED' }),
  })
  .strict()
  .meta({ id: 'CreateUserRequest' });

export const PatchUserRequest = z
  .object({
    email: z.string().min(3).max(254).optional(),
    password: Password.optional(),
    fullName: withoutControlCharacters(z.string().min(1).max(200)).optional(),
    phoneNumber: withoutControlCharacters(z.string().max(64)).nullable().optional(),
    profilePictureUrl: z.string().max(2048).nullable().optional(),
    authProvider: AuthProvider.optional(),
    globalRole: GlobalRole.optional(),
    approvalStatus: ApprovalStatus.optional(),
    isActive: z.boolean().optional(),
  })
  .strict()
  .meta({ id: 'PatchUserRequest', description: 'Each field sent is checked against the caller’s rights (seed 002 §5.1).' });

export const UpsertCompanyMembershipRequest = z
  .object({
    userId: Uuid,
    role: CompanyRole,
    isActive: z.boolean().optional(),
    approvalLimit: z
      .string()
      .regex(APPROVAL_LIMIT_PATTERN, 'must be a non-negative decimal string such as "2500.00"')
      .nullable()
      .optional()
      .meta({ description: 'Decimal string. Omitted → kept; null → cleared.' }),
    metadata: Metadata.optional(),
  })
  .strict()
  .meta({ id: 'UpsertCompanyMembershipRequest' });

export const UpsertBusinessUnitMembershipRequest = z
  .object({
    userId: Uuid,
    role: BusinessUnitRole,
    isActive: z.boolean().optional(),
    metadata: Metadata.optional(),
  })
  .strict()
  .meta({ id: 'UpsertBusinessUnitMembershipRequest' });

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
