import { randomUUID } from 'node:crypto';
import type { Deps } from '../app/deps.ts';
import { systemActor } from '../audit/actors.ts';
import type { Scheduler } from '../jobs/scheduler.ts';
import { findVatSettings } from '../vat/settings.ts';
import { parseVatId } from '../vat/vat-ids.ts';
import { consultVies } from '../vat/vies.ts';
import { correctionOfPayment, insertCorrection, paymentsAwaitingVies, refundsOfPayment, type CorrectionRow } from './store.ts';

export const VIES_RECHECK_JOB = 'vies-recheck';

export interface RecheckReport {
  checked: number;
  reverseCharged: number;
  confirmedInvalid: number;
  stillUnavailable: number;
}

/**
 * Asks VIES again about payments recorded with `vies: unavailable`. An answer becomes a new correction record
 * (the payment itself is never rewritten): valid → the not-yet-refunded remainder leaves the OSS supplies
 * (reverse charge from now on); invalid → `vat_applied` is confirmed with no amounts. No answer → next run.
 */
export async function recheckUnverifiedVatIds(deps: Deps, limit = 100): Promise<RecheckReport> {
  const report: RecheckReport = { checked: 0, reverseCharged: 0, confirmedInvalid: 0, stillUnavailable: 0 };
  const actor = systemActor(VIES_RECHECK_JOB);
  for (const payment of paymentsAwaitingVies(deps, limit)) {
    const vatId = payment.buyer_vat_id ? parseVatId(payment.buyer_vat_id) : null;
    const settings = findVatSettings(deps, payment.tenant_id);
    if (!vatId || !settings) continue;
    report.checked++;
    const answer = await consultVies(deps, vatId, settings.vatId);
    if (answer.outcome === 'unavailable') {
      report.stillUnavailable++;
      continue;
    }
    deps.sqlite.transaction(() => {
      if (correctionOfPayment(deps, payment.id)) return;
      const refunds = refundsOfPayment(deps, payment.id);
      const valid = answer.outcome === 'valid';
      const row: CorrectionRow = {
        id: randomUUID(),
        tenant_id: payment.tenant_id,
        payment_id: payment.id,
        vies: answer.outcome,
        vies_request_id: answer.requestIdentifier,
        treatment: valid ? 'reverse_charge' : 'vat_applied',
        taxable_delta_minor: valid ? -(payment.amount_minor - refunds.reduce((s, r) => s + r.amount_minor, 0)) : 0,
        vat_delta_minor: valid ? -(payment.vat_minor - refunds.reduce((s, r) => s + r.vat_minor, 0)) : 0,
        recorded_at: deps.clock.nowMs(),
      };
      insertCorrection(deps, row);
      deps.audit.append(payment.tenant_id, {
        actor,
        type: 'payment.vat_corrected',
        target: { type: 'payment', id: payment.id },
        payload: { vies: row.vies, viesRequestId: row.vies_request_id, treatment: row.treatment, taxableDelta: row.taxable_delta_minor, vatDelta: row.vat_delta_minor },
      });
      if (valid) report.reverseCharged++;
      else report.confirmedInvalid++;
    })();
  }
  return report;
}

/** Hourly at :20: VIES outages are usually short. */
export function registerViesRecheckJob(scheduler: Scheduler, deps: Deps): void {
  scheduler.register({
    name: VIES_RECHECK_JOB,
    cronTime: '0 20 * * * *',
    run: async () => {
      const report = await recheckUnverifiedVatIds(deps);
      if (report.checked > 0) deps.logger.info(report, 'VIES re-check done');
    },
  });
}

