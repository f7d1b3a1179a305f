import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { AppError } from '../app/errors.ts';

/** The browser's PublicKeyCredential.toJSON(), as the page posts it; anything else is a refused ceremony. */
function parsed(text: string | undefined): Record<string, unknown> {
  if (!text || text.length > 16_384) throw new AppError('unauthorized', 'No passkey answer was sent');
  try {
    const value = JSON.parse(text) as unknown;
    if (value && typeof value === 'object' && typeof (value as { id?: unknown }).id === 'string' && typeof (value as { response?: unknown }).response === 'object') {
      return value as Record<string, unknown>;
    }
  } catch {
    // falls through
  }
  throw new AppError('unauthorized', 'The passkey answer is malformed');
}

export const registrationResponseOf = (text: string | undefined) => parsed(text) as unknown as RegistrationResponseJSON;
export const authenticationResponseOf = (text: string | undefined) => parsed(text) as unknown as AuthenticationResponseJSON;
