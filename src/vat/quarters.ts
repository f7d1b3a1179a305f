import { validationError } from '../app/errors.ts';

/** A calendar quarter in UTC: the period of an OSS return. Written `2026-Q3` in kimauth, `Q3.2026` in returns. */
export interface Quarter {
  year: number;
  quarter: 1 | 2 | 3 | 4;
  /** `2026-Q3` */
  key: string;
  /** `Q3.2026`, as Annex III writes a period. */
  label: string;
  /** First millisecond of the quarter. */
  startMs: number;
  /** First millisecond after it. */
  endMs: number;
  /** YYYY-MM-DD of its last day (the day of the ECB rate). */
  lastDay: string;
}

export function quarterOf(year: number, quarter: number): Quarter {
  if (!Number.isInteger(year) || year < 2021 || year > 9999 || ![1, 2, 3, 4].includes(quarter)) {
    throw validationError(`No such quarter: ${year}-Q${quarter}`);
  }
  const startMs = Date.UTC(year, (quarter - 1) * 3, 1);
  const endMs = Date.UTC(year, quarter * 3, 1);
  return {
    year,
    quarter: quarter as Quarter['quarter'],
    key: `${year}-Q${quarter}`,
    label: `Q${quarter}.${year}`,
    startMs,
    endMs,
    lastDay: new Date(endMs - 86_400_000).toISOString().slice(0, 10),
  };
}

/** `2026-Q3` (also `Q3.2026`, `2026q3`). */
export function parseQuarter(text: string): Quarter {
  const trimmed = text.trim();
  const ours = /^(\d{4})-?Q([1-4])$/i.exec(trimmed);
  const annex = /^Q([1-4])\.(\d{4})$/i.exec(trimmed);
  if (ours) return quarterOf(Number(ours[1]), Number(ours[2]));
  if (annex) return quarterOf(Number(annex[2]), Number(annex[1]));
  throw validationError(`"${text}" is not a quarter; write it like 2026-Q3`);
}

export function quarterContaining(ms: number): Quarter {
  const d = new Date(ms);
  return quarterOf(d.getUTCFullYear(), Math.floor(d.getUTCMonth() / 3) + 1);
}

export function previousQuarter(q: Quarter): Quarter {
  return q.quarter === 1 ? quarterOf(q.year - 1, 4) : quarterOf(q.year, q.quarter - 1);
}
