import { AppError } from '../app/errors.ts';
import type { ApprovalStatus } from './tables.ts';

export interface AccountState {
  approvalStatus: ApprovalStatus;
  isActive: boolean;
  deletedAt: Date | number | null;
}

/**
 * Why an account may not hold a session right now (seed 002 §4.2 / §5.2), or null when it may. Approval comes
 * first: a registrant is both PENDING and inactive, and must hear "pending approval", not "inactive".
 */
export function accountStatusError(account: AccountState): AppError | null {
  if (account.deletedAt !== null) return new AppError('account_inactive', 'Account is inactive');
  if (account.approvalStatus === 'PENDING') return new AppError('pending_approval', 'Account is pending approval');
  if (account.approvalStatus === 'REJECTED') return new AppError('registration_rejected', 'Registration was rejected');
  if (!account.isActive) return new AppError('account_inactive', 'Account is inactive');
  return null;
}
