import { z } from 'zod';
import { withoutControlCharacters } from '../app/plain-text.ts';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from './passwords.ts';
import { APPROVAL_STATUSES, AUTH_PROVIDERS, GLOBAL_ROLES } from './tables.ts';

/*
 * The input schemas of the identity context (seed 002 §5, with the seed's names), shared by the HTTP routes and the
 * CLI. `.meta({ id })` registers each in zod's registry, so /openapi.json lists them under components.schemas.
 */

export const GlobalRoleSchema = z.enum(GLOBAL_ROLES).meta({ id: 'GlobalRole' });
export const ApprovalStatusSchema = z.enum(APPROVAL_STATUSES).meta({ id: 'ApprovalStatus' });
export const AuthProviderSchema = z.enum(AUTH_PROVIDERS).meta({ id: 'AuthProvider' });
export const PasswordSchema = z.string().min(MIN_PASSWORD_LENGTH).max(MAX_PASSWORD_LENGTH);

/** Empty strings count as omitted (seed 002 §4.1). */
const OptionalText = (max: number) =>
  z
    .string()
    .max(max)
    .optional()
    .transform((v) => (v === '' ? undefined : v));

/** POST /internal/users and each line of `kimauth users create --from-file`. */
export const CreateUserRequest = z
  .object({
    email: z.string().min(3).max(254),
    password: PasswordSchema.optional().meta({ description: 'Optional. Never mailed; the welcome mail carries a set-password link.' }),
    fullName: withoutControlCharacters(z.string().min(1).max(200)),
    phoneNumber: withoutControlCharacters(OptionalText(64)),
    profilePictureUrl: OptionalText(2048),
    authProvider: AuthProviderSchema.optional(),
    globalRole: GlobalRoleSchema.optional(),
    isActive: z.boolean().optional().meta({ description: 'Default true' }),
    approvalStatus: ApprovalStatusSchema.optional().meta({ description: 'Default APPROVED' }),
  })
  .strict()
  .meta({ id: 'CreateUserRequest' });

export const PatchUserRequest = z
  .object({
    email: z.string().min(3).max(254).optional(),
    password: PasswordSchema.optional(),
    fullName: withoutControlCharacters(z.string().min(1).max(200)).optional(),
    phoneNumber: withoutControlCharacters(z.string().max(64)).nullable().optional(),
    profilePictureUrl: z.string().max(2048).nullable().optional(),
    authProvider: AuthProviderSchema.optional(),
    globalRole: GlobalRoleSchema.optional(),
    approvalStatus: ApprovalStatusSchema.optional(),
    isActive: z.boolean().optional(),
  })
  .strict()
  .meta({ id: 'PatchUserRequest', description: 'Each field sent is checked against the caller’s rights (seed 002 §5.1).' });
