import type { Deps } from '../app/deps.ts';
import type { Principal } from '../authorization/principal.ts';
import { AppError } from '../app/errors.ts';
import { enqueueMail } from '../mail/outbox.ts';
import type { AuthProvider } from './tables.ts';
import { createUser } from './users.ts';

export interface RegistrationInput {
  email: string;
  password: string;
  fullName: string;
  phoneNumber?: string;
  profilePictureUrl?: string;
  authProvider?: AuthProvider;
}

export function assertRegistrationOpen(deps: Deps): void {
  if (!deps.config.publicRegistration) {
    throw new AppError('registration_disabled', 'Public registration is disabled on this server');
  }
}

/**
 * Self-service registration (seed 002 §4.1): a PENDING, inactive user that platform staff must approve before
 * it can sign in. No tokens; the registrant is told by mail that the request was received.
 */
export async function registerUser(deps: Deps, caller: Principal, input: RegistrationInput, client: { ip: string }): Promise<{ email: string; status: 'pending' }> {
  assertRegistrationOpen(deps);
  const user = await createUser(
    deps,
    {
      email: input.email,
      password: input.password,
      fullName: input.fullName,
      phoneNumber: input.phoneNumber || null,
      profilePictureUrl: input.profilePictureUrl || null,
      authProvider: input.authProvider ?? 'password',
      approvalStatus: 'PENDING',
      isActive: false,
      globalRole: 'NONE',
    },
    caller,
    {
      eventType: 'user.registered',
      inTransaction: (row) => {
        enqueueMail(deps, {
          template: 'registration-received',
          to: row.email,
          data: { fullName: row.fullName },
        });
      },
    },
  );
  return { email: user.email, status: 'pending' };
}
