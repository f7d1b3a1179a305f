import { rateOn, type RateType } from './rates.ts';

/**
 * The VAT treatment of one reported payment (seed 000, design/vat-oss.md): a pure rule over the buyer, the
 * VIES outcome and the day; no I/O, so the table of cases is tested directly.
 */
export type Treatment = 'vat_applied' | 'reverse_charge' | 'outside_eu';
export type BuyerKind = 'consumer' | 'business';
/** What VIES said about the buyer's VAT ID: `not_checked` when there was none to ask about. */
export type ViesOutcome = 'not_checked' | 'valid' | 'invalid' | 'unavailable';

export interface TreatmentInput {
  /** Member state of consumption (VAT code), or null for a buyer outside the EU. */
  buyerMemberState: string | null;
  buyerKind: BuyerKind;
  vies: ViesOutcome;
  /** The seller's member state of identification: a domestic supply is never reverse-charged. */
  sellerMemberState: string;
  /** YYYY-MM-DD (UTC) the supply happened: the rate of that day applies. */
  day: string;
  rateType?: RateType;
  reducedRate?: string;
}

export interface TreatmentDecision {
  treatment: Treatment;
  /** Member state whose VAT applies (vat_applied) or where the buyer self-accounts (reverse_charge). */
  memberState: string | null;
  rateType: RateType | null;
  /** 0 unless vat_applied. */
  rateBasisPoints: number;
}

/** Whether a VIES consultation can change the outcome: an EU business buyer abroad with a VAT ID. */
export function viesMatters(input: Pick<TreatmentInput, 'buyerMemberState' | 'buyerKind' | 'sellerMemberState'>): boolean {
  return input.buyerMemberState !== null && input.buyerKind === 'business' && input.buyerMemberState !== input.sellerMemberState;
}

export function decideTreatment(input: TreatmentInput): TreatmentDecision {
  if (input.buyerMemberState === null) {
    return { treatment: 'outside_eu', memberState: null, rateType: null, rateBasisPoints: 0 };
  }
  if (viesMatters(input) && input.vies === 'valid') {
    return { treatment: 'reverse_charge', memberState: input.buyerMemberState, rateType: null, rateBasisPoints: 0 };
  }
  // A consumer, a business without a VAT ID VIES confirmed (invalid, unknown, or not asked), or a domestic sale.
  const rate = rateOn(input.buyerMemberState, input.day, input.rateType ?? 'STANDARD', input.reducedRate);
  return { treatment: 'vat_applied', memberState: rate.memberState, rateType: rate.rateType, rateBasisPoints: rate.rateBasisPoints };
}
