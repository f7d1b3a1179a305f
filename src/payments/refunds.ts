import { randomUUID } from 'node:crypto';
import type { Deps } from '../app/deps.ts';
import { notFound, validationError } from '../app/errors.ts';
import type { Actor } from '../audit/audit-log.ts';
import { vatOnAmount } from '../money/minor-units.ts';
import { getPayment, type PaymentView } from './payments.ts';
import { correctionOfPayment, insertRefund, paymentById, refundByProviderId, refundsOfPayment, type RefundRow } from './store.ts';

export interface RefundInput {
  /** Minor units, at most what is left of the payment. */
  amount: number;
  /** ISO 8601; defaults to now. Its quarter is the return the refund corrects in. */
  refundedAt?: string;
  /** The provider's refund id: the same one twice is one refund. */
  providerRefundId?: string;
}

export interface RefundView {
  id: string;
  paymentId: string;
  amount: number;
  vatAmount: number;
  treatment: string;
  providerRefundId: string | null;
  refundedAt: string;
  createdAt: string;
}

function view(row: RefundRow): RefundView {
  return {
    id: row.id,
    paymentId: row.payment_id,
    amount: row.amount_minor,
    vatAmount: row.vat_minor,
    treatment: row.treatment,
    providerRefundId: row.provider_refund_id,
    refundedAt: new Date(row.refunded_at).toISOString(),
    createdAt: new Date(row.created_at).toISOString(),
  };
}

/**
 * A partial or full refund, never more than is left. It inherits the payment's treatment (as corrected, if a
 * VIES correction came since), rate, member state and period of origin; its VAT is the rate's share of the
 * amount, and the last refund takes exactly the VAT that is left, so refunds never drift from the original.
 */
export function refundPayment(
  deps: Deps,
  tenantId: string,
  paymentId: string,
  input: RefundInput,
  actor: Actor,
): { refund: RefundView; payment: PaymentView; created: boolean } {
  if (!Number.isSafeInteger(input.amount) || input.amount <= 0) throw validationError('amount must be a positive integer number of minor units');
  if (input.providerRefundId !== undefined && !/^[\w.:@/-]{1,200}$/.test(input.providerRefundId)) {
    throw validationError('providerRefundId must be 1–200 letters, digits or . : @ / - _');
  }
  const now = deps.clock.nowMs();
  const refundedAt = input.refundedAt === undefined ? now : Date.parse(input.refundedAt);
  if (Number.isNaN(refundedAt)) throw validationError('refundedAt must be an ISO 8601 date-time');
  if (refundedAt > now) throw validationError('refundedAt cannot be in the future');

  return deps.sqlite.transaction(() => {
    const payment = paymentById(deps, tenantId, paymentId);
    if (!payment) throw notFound(`Payment "${paymentId}"`);
    if (input.providerRefundId) {
      const existing = refundByProviderId(deps, payment.id, input.providerRefundId);
      if (existing) return { refund: view(existing), payment: getPayment(deps, tenantId, payment.id), created: false };
    }
    if (refundedAt < payment.occurred_at) throw validationError('A refund cannot precede its payment');
    const refunds = refundsOfPayment(deps, payment.id);
    const left = payment.amount_minor - refunds.reduce((s, r) => s + r.amount_minor, 0);
    if (input.amount > left) throw validationError(`Only ${left} minor units of this payment are left to refund`, { left });
    const treatment = correctionOfPayment(deps, payment.id)?.treatment ?? payment.treatment;
    let vat = 0;
    if (treatment === 'vat_applied') {
      const vatLeft = payment.vat_minor - refunds.filter((r) => r.treatment === 'vat_applied').reduce((s, r) => s + r.vat_minor, 0);
      vat = input.amount === left ? vatLeft : Math.min(vatLeft, vatOnAmount(input.amount, payment.rate_bp));
    }
    const row: RefundRow = {
      id: randomUUID(),
      tenant_id: tenantId,
      payment_id: payment.id,
      amount_minor: input.amount,
      vat_minor: vat,
      treatment,
      provider_refund_id: input.providerRefundId ?? null,
      refunded_at: refundedAt,
      created_at: now,
    };
    insertRefund(deps, row);
    deps.audit.append(tenantId, {
      actor,
      type: 'payment.refunded',
      target: { type: 'payment', id: payment.id },
      payload: { refundId: row.id, amount: row.amount_minor, vatAmount: row.vat_minor, currency: payment.currency, treatment, left: left - input.amount },
    });
    return { refund: view(row), payment: getPayment(deps, tenantId, payment.id), created: true };
  })();
}
