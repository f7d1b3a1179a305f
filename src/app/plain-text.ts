import { z } from 'zod';
import { validationError } from './errors.ts';

/**
 * Control characters a name or free-text field must not hold: C0 (NUL, CR, LF, TAB, ESC, …), DEL, C1 and the
 * Unicode line/paragraph separators. They forge lines in logs, mail headers and CSV/table output, and terminal
 * escapes in the CLI's tables.
 */
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

export const CONTROL_CHARACTER_MESSAGE = 'must not contain control characters (CR, LF, NUL, …)';

export function hasControlCharacters(value: string): boolean {
  return CONTROL_CHARACTERS.test(value);
}

/** The one refinement every name and free-text field uses, on the HTTP schemas and in the services. */
export const withoutControlCharacters = <T extends z.ZodType<string | null | undefined>>(schema: T) =>
  schema.refine((value) => typeof value !== 'string' || !hasControlCharacters(value), { message: CONTROL_CHARACTER_MESSAGE });

/** A name as stored: trimmed, non-empty, at most `max` characters, no control characters. */
export const displayName = (max = 200) => withoutControlCharacters(z.string()).trim().min(1).max(max);

/**
 * The service-side check of the same rule, for callers that do not come through an HTTP schema (the CLI, bulk
 * JSON Lines, invitation acceptance): 400 validation_error naming the field.
 */
export function assertPlainText(field: string, value: string | null | undefined): void {
  const result = withoutControlCharacters(z.string().nullish()).safeParse(value);
  if (!result.success) throw validationError(`${field}: ${CONTROL_CHARACTER_MESSAGE}`);
}
