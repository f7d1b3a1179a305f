import { z } from 'zod';
import { CONTROL_CHARACTER_MESSAGE, hasControlCharacters } from './control-characters.ts';

export { assertPlainText, CONTROL_CHARACTER_MESSAGE, hasControlCharacters } from './control-characters.ts';

/** The one refinement every name and free-text field uses, on the HTTP schemas (the services: assertPlainText). */
export const withoutControlCharacters = <T extends z.ZodType<string | null | undefined>>(schema: T) =>
  schema.refine((value) => typeof value !== 'string' || !hasControlCharacters(value), { message: CONTROL_CHARACTER_MESSAGE });

/** A name as stored: trimmed, non-empty, at most `max` characters, no control characters. */
export const displayName = (max = 200) => withoutControlCharacters(z.string()).trim().min(1).max(max);
