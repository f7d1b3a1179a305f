import type { Deps } from '../app/deps.ts';
import { validationError } from '../app/errors.ts';
import type { AdminCaller } from '../memberships/admin-rights.ts';
import { getTenant } from '../tenants/tenants.ts';
import type { ProfileActor } from './actors.ts';
import { getPayment, listPayments, reportPayment, type ReportPaymentInput } from './payments.ts';
import {
  assertMayManageProfileOf,
  assertMayReadPayments,
  assertMayReadProfileOf,
  assertMayReportPayments,
  mayListEveryProfile,
} from './policy.ts';
import {
  createPaymentProfile,
  deletePaymentProfile,
  getPaymentProfile,
  listPaymentProfiles,
  updatePaymentProfile,
  type ProfileInput,
} from './profiles.ts';
import { refundPayment, type RefundInput } from './refunds.ts';

/**
 * The payments services as a caller reaches them through the tenant API: the tenant by slug, the policy
 * decision (policy.ts), then the service. One function per route.
 */
function tenantIdOf(deps: Deps, slug: string): string {
  return getTenant(deps, slug).id;
}

const selfActor = (caller: AdminCaller): ProfileActor | undefined => (caller.kind === 'user' ? { type: 'user', id: caller.userId } : undefined);

export function listProfilesAs(deps: Deps, caller: AdminCaller, slug: string, owner?: ProfileActor) {
  const tenantId = tenantIdOf(deps, slug);
  if (mayListEveryProfile(deps, caller, tenantId)) return listPaymentProfiles(deps, tenantId, owner);
  return listPaymentProfiles(deps, tenantId, selfActor(caller));
}

export function createProfileAs(deps: Deps, caller: AdminCaller, slug: string, owner: ProfileActor | undefined, input: ProfileInput) {
  const tenantId = tenantIdOf(deps, slug);
  const actor = owner ?? selfActor(caller);
  if (!actor) throw validationError('Name the actor the profile belongs to');
  assertMayManageProfileOf(deps, caller, tenantId, actor);
  return createPaymentProfile(deps, tenantId, actor, input, caller.actor);
}

export function getProfileAs(deps: Deps, caller: AdminCaller, slug: string, id: string) {
  const tenantId = tenantIdOf(deps, slug);
  const profile = getPaymentProfile(deps, tenantId, id);
  assertMayReadProfileOf(deps, caller, tenantId, profile.actor);
  return profile;
}

export function updateProfileAs(deps: Deps, caller: AdminCaller, slug: string, id: string, input: ProfileInput) {
  const tenantId = tenantIdOf(deps, slug);
  assertMayManageProfileOf(deps, caller, tenantId, getPaymentProfile(deps, tenantId, id).actor);
  return updatePaymentProfile(deps, tenantId, id, input, caller.actor);
}

export function deleteProfileAs(deps: Deps, caller: AdminCaller, slug: string, id: string): void {
  const tenantId = tenantIdOf(deps, slug);
  assertMayManageProfileOf(deps, caller, tenantId, getPaymentProfile(deps, tenantId, id).actor);
  deletePaymentProfile(deps, tenantId, id, caller.actor);
}

export function reportPaymentAs(deps: Deps, caller: AdminCaller, slug: string, input: ReportPaymentInput) {
  assertMayReportPayments(deps, caller, tenantIdOf(deps, slug));
  return reportPayment(deps, slug, input, caller.actor);
}

export function refundPaymentAs(deps: Deps, caller: AdminCaller, slug: string, paymentId: string, input: RefundInput) {
  const tenantId = tenantIdOf(deps, slug);
  assertMayReportPayments(deps, caller, tenantId);
  return refundPayment(deps, tenantId, paymentId, input, caller.actor);
}

export function listPaymentsAs(deps: Deps, caller: AdminCaller, slug: string, options: { limit?: number; before?: string }) {
  const tenantId = tenantIdOf(deps, slug);
  assertMayReadPayments(deps, caller, tenantId);
  return listPayments(deps, tenantId, options);
}

export function getPaymentAs(deps: Deps, caller: AdminCaller, slug: string, id: string) {
  const tenantId = tenantIdOf(deps, slug);
  assertMayReadPayments(deps, caller, tenantId);
  return getPayment(deps, tenantId, id);
}
