import { assertPlainText } from '../app/control-characters.ts';
import { randomUUID } from 'node:crypto';
import type { Deps } from '../app/deps.ts';
import { conflict, notFound, validationError } from '../app/errors.ts';
import type { Actor } from '../audit/audit-log.ts';
import { assertPasswordPolicy, hashPassword } from './passwords.ts';
import { emailTaken, insertUserRow, selectUserByEmail, selectUserById } from './store.ts';
import { type ApprovalStatus, type AuthProvider, type GlobalRole, type UserRow } from './tables.ts';

const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function normalizeEmail(email: string): string {
  const value = email.trim().toLowerCase();
  if (!EMAIL_PATTERN.test(value) || value.length > 254) throw validationError(`Invalid email address "${email}"`);
  return value;
}

export interface CreateUserInput {
  email: string;
  fullName: string;
  /** Plain text; hashed with argon2id before the transaction. Omitted → no password login until one is set. */
  password?: string | null;
  globalRole?: GlobalRole;
  approvalStatus?: ApprovalStatus;
  isActive?: boolean;
  authProvider?: AuthProvider;
  phoneNumber?: string | null;
  profilePictureUrl?: string | null;
}

/**
 * The one way a user comes into being (registration, admin API, CLI, invitations, init).
 * `tenantId` names the audit chain (the platform's unless the creation belongs to one tenant).
 */
export async function createUser(
  deps: Deps,
  input: CreateUserInput,
  actor: Actor,
  options: { auditTenantId?: string; eventType?: string; inTransaction?: (user: UserRow) => void } = {},
): Promise<UserRow> {
  const email = normalizeEmail(input.email);
  const fullName = input.fullName.trim();
  if (!fullName) throw validationError('fullName is required');
  assertPlainText('fullName', input.fullName);
  assertPlainText('phoneNumber', input.phoneNumber);
  if (input.password != null) assertPasswordPolicy(input.password);
  const passwordHash = input.password != null ? await hashPassword(input.password) : null;
  return deps.sqlite.transaction(() => {
    if (emailTaken(deps, email)) {
      throw conflict('A user with this email already exists');
    }
    const now = deps.clock.now();
    const row: UserRow = {
      id: randomUUID(),
      email,
      fullName,
      passwordHash,
      globalRole: input.globalRole ?? 'NONE',
      approvalStatus: input.approvalStatus ?? 'PENDING',
      isActive: input.isActive ?? false,
      authProvider: input.authProvider ?? 'password',
      phoneNumber: input.phoneNumber || null,
      profilePictureUrl: input.profilePictureUrl || null,
      tokenVersion: 1,
      deletedAt: null,
      approvedAt: (input.approvalStatus ?? 'PENDING') === 'APPROVED' ? now : null,
      // Unproven until a link mailed to it is used (markEmailVerified).
      emailVerifiedAt: null,
      createdAt: now,
      updatedAt: now,
    };
    insertUserRow(deps, row);
    deps.audit.append(options.auditTenantId ?? deps.platformTenantId(), {
      actor,
      type: options.eventType ?? 'user.created',
      target: { type: 'user', id: row.id },
      payload: {
        email,
        globalRole: row.globalRole,
        approvalStatus: row.approvalStatus,
        isActive: row.isActive,
        authProvider: row.authProvider,
      },
    });
    options.inTransaction?.(row);
    return row;
  })();
}

export function findUserByEmail(deps: Deps, email: string): UserRow | undefined {
  return selectUserByEmail(deps, email.trim().toLowerCase());
}

export function findUserById(deps: Deps, id: string): UserRow | undefined {
  return selectUserById(deps, id);
}

/** By id or email (INTERFACE.md: a user is named by id or natural key). */
export function getUser(deps: Deps, ref: string): UserRow {
  const user = ref.includes('@') ? findUserByEmail(deps, ref) : findUserById(deps, ref);
  if (!user) throw notFound(`User "${ref}"`);
  return user;
}
