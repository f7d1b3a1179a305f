import { z } from 'zod';
import { Uuid } from '../app/uuid.ts';
import { APPROVAL_LIMIT_PATTERN } from './memberships.ts';
import { BUSINESS_UNIT_ROLES, COMPANY_ROLES } from './tables.ts';

/*
 * The input schemas of the memberships context (seed 002 §5.2, with the seed's names), used by the HTTP routes.
 * `.meta({ id })` registers each in zod's registry, so /openapi.json lists them under components.schemas.
 */

export const CompanyRoleSchema = z.enum(COMPANY_ROLES).meta({ id: 'CompanyRole', description: 'Highest rank first' });
export const BusinessUnitRoleSchema = z.enum(BUSINESS_UNIT_ROLES).meta({ id: 'BusinessUnitRole' });

export const MembershipMetadataSchema = z
  .record(z.string(), z.unknown())
  .meta({ id: 'MembershipMetadata', description: 'Free JSON object (seed 002 §5.2a). Omitted → kept; {} → cleared; object → replaces.' });

export const UpsertCompanyMembershipRequest = z
  .object({
    userId: Uuid,
    role: CompanyRoleSchema,
    isActive: z.boolean().optional(),
    approvalLimit: z
      .string()
      .regex(APPROVAL_LIMIT_PATTERN, 'must be a non-negative decimal string such as "2500.00"')
      .nullable()
      .optional()
      .meta({ description: 'Decimal string. Omitted → kept; null → cleared.' }),
    metadata: MembershipMetadataSchema.optional(),
  })
  .strict()
  .meta({ id: 'UpsertCompanyMembershipRequest' });

export const UpsertBusinessUnitMembershipRequest = z
  .object({
    userId: Uuid,
    role: BusinessUnitRoleSchema,
    isActive: z.boolean().optional(),
    metadata: MembershipMetadataSchema.optional(),
  })
  .strict()
  .meta({ id: 'UpsertBusinessUnitMembershipRequest' });
