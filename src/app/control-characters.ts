import { validationError } from './errors.ts';

/**
 * Control characters a name or free-text field must not hold: C0 (NUL, CR, LF, TAB, ESC, …), DEL, C1 and the
 * Unicode line/paragraph separators. They forge lines in logs, mail headers and CSV/table output, and terminal
 * escapes in the CLI's tables. The zod refinements built on this rule are in plain-text.ts; this module needs no
 * zod, so the services (and the CLI's start) do not load it.
 */
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

export const CONTROL_CHARACTER_MESSAGE = 'must not contain control characters (CR, LF, NUL, …)';

export function hasControlCharacters(value: string): boolean {
  return CONTROL_CHARACTERS.test(value);
}

/**
 * The service-side check of the same rule, for callers that do not come through an HTTP schema (the CLI, bulk
 * JSON Lines, invitation acceptance): 400 validation_error naming the field. null and undefined pass; anything
 * else must be a string without control characters.
 */
export function assertPlainText(field: string, value: string | null | undefined): void {
  if (value === null || value === undefined) return;
  if (typeof value !== 'string' || hasControlCharacters(value)) throw validationError(`${field}: ${CONTROL_CHARACTER_MESSAGE}`);
}
