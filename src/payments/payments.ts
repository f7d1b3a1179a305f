import { randomUUID } from 'node:crypto';
import type { Deps } from '../app/deps.ts';
import { notFound, validationError } from '../app/errors.ts';
import type { Actor } from '../audit/audit-log.ts';
import { CURRENCY_PATTERN, MAX_AMOUNT_MINOR, vatOnAmount } from '../money/minor-units.ts';
import { quarterContaining } from '../vat/quarters.ts';
import { formatRate, memberStateOf, type RateType } from '../vat/rates.ts';
import { requireVatSettings } from '../vat/settings.ts';
import { decideTreatment, viesMatters, type BuyerKind, type Treatment, type ViesOutcome } from '../vat/treatment.ts';
import { parseVatId } from '../vat/vat-ids.ts';
import { consultVies } from '../vat/vies.ts';
import { getTenant } from '../tenants/tenants.ts';
import { PAYMENT_PROVIDERS, type PaymentProvider } from './profiles.ts';
import {
  correctionOfPayment,
  insertPayment,
  paymentByCharge,
  paymentById,
  paymentsOfTenant,
  profileById,
  refundsOfPayment,
  type PaymentRow,
} from './store.ts';

export const SUPPLY_TYPES = ['services', 'goods'] as const;
export type SupplyType = (typeof SUPPLY_TYPES)[number];

/** What an application reports after its provider charged the buyer. `amount` is the net, before VAT. */
export interface ReportPaymentInput {
  resource: { app: string; type: string; id: string };
  profileId: string;
  amount: number;
  currency: string;
  buyer: { country: string; kind: BuyerKind; vatId?: string | null };
  supplyType: SupplyType;
  rateType?: RateType;
  /** For rateType REDUCED: which of the member state's reduced rates (`"9"`). */
  reducedRate?: string;
  provider: PaymentProvider;
  chargeId: string;
  /** ISO 8601; the supply's day decides the rate and the quarter. */
  occurredAt: string;
}

export interface PaymentView {
  id: string;
  tenantId: string;
  profileId: string;
  resource: { app: string; type: string; id: string };
  amount: number;
  currency: string;
  buyer: { country: string; kind: string; vatId: string | null };
  supplyType: string;
  provider: string;
  chargeId: string;
  occurredAt: string;
  period: string;
  treatment: Treatment;
  memberState: string | null;
  rateType: string | null;
  rate: string | null;
  vatAmount: number;
  vies: ViesOutcome;
  viesRequestId: string | null;
  refunded: { amount: number; vatAmount: number; count: number };
  correction: { vies: string; viesRequestId: string | null; treatment: string; vatDelta: number; recordedAt: string } | null;
  createdAt: string;
}

/** A payment as the API shows it; `fresh` skips the refund and correction lookups of a payment just recorded. */
export function paymentView(deps: Deps, row: PaymentRow, fresh = false): PaymentView {
  const refunds = fresh ? [] : refundsOfPayment(deps, row.id);
  const correction = fresh ? undefined : correctionOfPayment(deps, row.id);
  return {
    id: row.id,
    tenantId: row.tenant_id,
    profileId: row.profile_id,
    resource: { app: row.resource_app, type: row.resource_type, id: row.resource_id },
    amount: row.amount_minor,
    currency: row.currency,
    buyer: { country: row.buyer_country, kind: row.buyer_kind, vatId: row.buyer_vat_id },
    supplyType: row.supply_type,
    provider: row.provider,
    chargeId: row.charge_id,
    occurredAt: new Date(row.occurred_at).toISOString(),
    period: row.period,
    treatment: row.treatment as Treatment,
    memberState: row.member_state,
    rateType: row.rate_type,
    rate: row.treatment === 'vat_applied' ? formatRate(row.rate_bp) : null,
    vatAmount: row.vat_minor,
    vies: row.vies as ViesOutcome,
    viesRequestId: row.vies_request_id,
    refunded: {
      amount: refunds.reduce((s, r) => s + r.amount_minor, 0),
      vatAmount: refunds.reduce((s, r) => s + r.vat_minor, 0),
      count: refunds.length,
    },
    correction: correction
      ? {
          vies: correction.vies,
          viesRequestId: correction.vies_request_id,
          treatment: correction.treatment,
          vatDelta: correction.vat_delta_minor,
          recordedAt: new Date(correction.recorded_at).toISOString(),
        }
      : null,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

const SHORT_TEXT = /^[\w.:@/-]{1,200}$/;

function checkInput(input: ReportPaymentInput): { occurredAt: number; buyerMemberState: string | null; buyerCountry: string } {
  if (!Number.isSafeInteger(input.amount) || input.amount <= 0 || input.amount > MAX_AMOUNT_MINOR) {
    throw validationError(`amount must be a positive integer number of minor units (at most ${MAX_AMOUNT_MINOR})`);
  }
  if (!CURRENCY_PATTERN.test(input.currency)) throw validationError(`currency "${input.currency}" is not an ISO 4217 code`);
  if (!(PAYMENT_PROVIDERS as readonly string[]).includes(input.provider)) throw validationError(`provider must be one of ${PAYMENT_PROVIDERS.join(', ')}`);
  if (!SHORT_TEXT.test(input.chargeId)) throw validationError('chargeId must be 1–200 letters, digits or . : @ / - _');
  for (const key of ['app', 'type', 'id'] as const) {
    if (!SHORT_TEXT.test(input.resource?.[key] ?? '')) throw validationError(`resource.${key} must be 1–200 letters, digits or . : @ / - _`);
  }
  if (!(SUPPLY_TYPES as readonly string[]).includes(input.supplyType)) throw validationError('supplyType must be services or goods');
  if (!['consumer', 'business'].includes(input.buyer?.kind)) throw validationError('buyer.kind must be consumer or business');
  const buyerCountry = (input.buyer.country ?? '').trim().toUpperCase();
  if (!/^[A-Z]{2}$/.test(buyerCountry)) throw validationError(`buyer.country "${input.buyer.country}" is not a two-letter country code`);
  const occurredAt = Date.parse(input.occurredAt);
  if (Number.isNaN(occurredAt) || !/^\d{4}-\d{2}-\d{2}T/.test(input.occurredAt)) throw validationError('occurredAt must be an ISO 8601 date-time');
  return { occurredAt, buyerMemberState: memberStateOf(buyerCountry), buyerCountry };
}

/**
 * Records a payment an application reports, with exactly one VAT treatment (src/vat/treatment.ts). The same
 * provider charge id reported again is the same payment: the existing record comes back with `created: false`.
 * A buyer VAT ID is asked about in VIES only when that can change the treatment; when VIES cannot answer, the
 * payment is recorded as `vat_applied` with `vies: unavailable` and the re-check job settles it later.
 */
export async function reportPayment(
  deps: Deps,
  tenantRef: string,
  input: ReportPaymentInput,
  actor: Actor,
): Promise<{ payment: PaymentView; created: boolean }> {
  const tenant = getTenant(deps, tenantRef);
  const checked = checkInput(input);
  const existing = paymentByCharge(deps, tenant.id, input.provider, input.chargeId);
  if (existing) return { payment: paymentView(deps, existing), created: false };
  const settings = requireVatSettings(deps, tenant);
  if (!profileById(deps, tenant.id, input.profileId)) throw validationError(`profileId "${input.profileId}" is not a payment profile of this tenant`);

  const rawVatId = input.buyer.vatId?.trim() || null;
  const buyerVatId = rawVatId ? parseVatId(rawVatId) : null;
  let vies: ViesOutcome = 'not_checked';
  let viesRequestId: string | null = null;
  const decisionInput = { buyerMemberState: checked.buyerMemberState, buyerKind: input.buyer.kind, sellerMemberState: settings.memberState };
  if (rawVatId && viesMatters(decisionInput)) {
    if (!buyerVatId || buyerVatId.memberState !== checked.buyerMemberState) {
      vies = 'invalid'; // a malformed number, or one of another member state, is not worth a consultation
    } else {
      const answer = await consultVies(deps, buyerVatId, settings.vatId);
      vies = answer.outcome;
      viesRequestId = answer.outcome === 'unavailable' ? null : answer.requestIdentifier;
    }
  }
  const day = new Date(checked.occurredAt).toISOString().slice(0, 10);
  const decision = decideTreatment({ ...decisionInput, vies, day, rateType: input.rateType, reducedRate: input.reducedRate });

  return deps.sqlite.transaction(() => {
    // A concurrent report of the same charge may have landed while VIES answered.
    const raced = paymentByCharge(deps, tenant.id, input.provider, input.chargeId);
    if (raced) return { payment: paymentView(deps, raced), created: false };
    const now = deps.clock.nowMs();
    const row: PaymentRow = {
      id: randomUUID(),
      tenant_id: tenant.id,
      profile_id: input.profileId,
      resource_app: input.resource.app,
      resource_type: input.resource.type,
      resource_id: input.resource.id,
      amount_minor: input.amount,
      currency: input.currency,
      buyer_country: checked.buyerCountry,
      buyer_kind: input.buyer.kind,
      buyer_vat_id: buyerVatId?.value ?? rawVatId,
      supply_type: input.supplyType,
      provider: input.provider,
      charge_id: input.chargeId,
      occurred_at: checked.occurredAt,
      period: quarterContaining(checked.occurredAt).key,
      treatment: decision.treatment,
      member_state: decision.memberState,
      rate_type: decision.rateType,
      rate_bp: decision.rateBasisPoints,
      vat_minor: decision.treatment === 'vat_applied' ? vatOnAmount(input.amount, decision.rateBasisPoints) : 0,
      vies,
      vies_request_id: viesRequestId,
      created_at: now,
    };
    insertPayment(deps, row);
    deps.audit.append(tenant.id, {
      actor,
      type: 'payment.reported',
      target: { type: 'payment', id: row.id },
      payload: {
        provider: row.provider,
        chargeId: row.charge_id,
        amount: row.amount_minor,
        currency: row.currency,
        treatment: row.treatment,
        memberState: row.member_state,
        rate: row.treatment === 'vat_applied' ? formatRate(row.rate_bp) : null,
        vatAmount: row.vat_minor,
        vies: row.vies,
      },
    });
    return { payment: paymentView(deps, row, true), created: true };
  })();
}

export function getPayment(deps: Deps, tenantId: string, id: string): PaymentView {
  const row = paymentById(deps, tenantId, id);
  if (!row) throw notFound(`Payment "${id}"`);
  return paymentView(deps, row);
}

export function listPayments(deps: Deps, tenantId: string, options: { limit?: number; before?: string } = {}): PaymentView[] {
  const limit = options.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw validationError('limit must be between 1 and 500');
  const before = options.before ? Date.parse(options.before) : undefined;
  if (before !== undefined && Number.isNaN(before)) throw validationError('before must be an ISO 8601 date-time');
  return paymentsOfTenant(deps, tenantId, limit, before).map((row) => paymentView(deps, row));
}
