import type { Deps } from '../app/deps.ts';
import { validationError } from '../app/errors.ts';
import { authorize, decide } from '../authorization/policy.ts';
import type { Principal } from '../authorization/principal.ts';
import { getTenant } from '../tenants/tenants.ts';
import type { ProfileActor } from './actors.ts';
import { getPayment, listPayments, reportPayment, type ReportPaymentInput } from './payments.ts';
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
 * decision (src/authorization/policy.ts), then the service. One function per route.
 */
function tenantIdOf(deps: Deps, slug: string): string {
  return getTenant(deps, slug).id;
}

const selfActor = (caller: Principal): ProfileActor | undefined => (caller.type === 'user' ? { type: 'user', id: caller.id } : undefined);

export function listProfilesAs(deps: Deps, caller: Principal, slug: string, owner?: ProfileActor) {
  const tenantId = tenantIdOf(deps, slug);
  if (decide(deps, caller, 'paymentProfile.listAll', { companyId: tenantId }).allowed) return listPaymentProfiles(deps, tenantId, owner);
  const self = selfActor(caller);
  // A caller that is no user (an API key without payments:read) has no profiles of its own: refused, not "all".
  if (!self) authorize(deps, caller, 'paymentProfile.listAll', { companyId: tenantId });
  return listPaymentProfiles(deps, tenantId, self);
}

export function createProfileAs(deps: Deps, caller: Principal, slug: string, owner: ProfileActor | undefined, input: ProfileInput) {
  const tenantId = tenantIdOf(deps, slug);
  const actor = owner ?? selfActor(caller);
  if (!actor) throw validationError('Name the actor the profile belongs to');
  authorize(deps, caller, 'paymentProfile.manage', { companyId: tenantId, owner: actor });
  return createPaymentProfile(deps, tenantId, actor, input, caller);
}

export function getProfileAs(deps: Deps, caller: Principal, slug: string, id: string) {
  const tenantId = tenantIdOf(deps, slug);
  const profile = getPaymentProfile(deps, tenantId, id);
  authorize(deps, caller, 'paymentProfile.read', { companyId: tenantId, owner: profile.actor });
  return profile;
}

export function updateProfileAs(deps: Deps, caller: Principal, slug: string, id: string, input: ProfileInput) {
  const tenantId = tenantIdOf(deps, slug);
  authorize(deps, caller, 'paymentProfile.manage', { companyId: tenantId, owner: getPaymentProfile(deps, tenantId, id).actor });
  return updatePaymentProfile(deps, tenantId, id, input, caller);
}

export function deleteProfileAs(deps: Deps, caller: Principal, slug: string, id: string): void {
  const tenantId = tenantIdOf(deps, slug);
  authorize(deps, caller, 'paymentProfile.manage', { companyId: tenantId, owner: getPaymentProfile(deps, tenantId, id).actor });
  deletePaymentProfile(deps, tenantId, id, caller);
}

export function reportPaymentAs(deps: Deps, caller: Principal, slug: string, input: ReportPaymentInput) {
  authorize(deps, caller, 'payment.report', { companyId: tenantIdOf(deps, slug) });
  return reportPayment(deps, slug, input, caller);
}

export function refundPaymentAs(deps: Deps, caller: Principal, slug: string, paymentId: string, input: RefundInput) {
  const tenantId = tenantIdOf(deps, slug);
  authorize(deps, caller, 'payment.report', { companyId: tenantId });
  return refundPayment(deps, tenantId, paymentId, input, caller);
}

export function listPaymentsAs(deps: Deps, caller: Principal, slug: string, options: { limit?: number; before?: string }) {
  const tenantId = tenantIdOf(deps, slug);
  authorize(deps, caller, 'payment.read', { companyId: tenantId });
  return listPayments(deps, tenantId, options);
}

export function getPaymentAs(deps: Deps, caller: Principal, slug: string, id: string) {
  const tenantId = tenantIdOf(deps, slug);
  authorize(deps, caller, 'payment.read', { companyId: tenantId });
  return getPayment(deps, tenantId, id);
}
