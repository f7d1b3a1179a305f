import { userInfo } from 'node:os';
import type { Actor, Channel } from '../audit/audit-log.ts';
import type { GlobalRole } from '../identity/tables.ts';

/**
 * Who asks, and through which channel. A principal *is* an audit actor (`type`, `id`, `channel`) plus the facts
 * the policy needs that it cannot look up: pass it to a service, and the service both asks the policy with it
 * and writes it as the actor of its audit entries — no service invents a caller or a channel.
 *
 * - `user`: a signed-in person. Platform rights come from `globalRole` (read fresh from the database by the
 *   Bearer check); tenant rights come from their active memberships, which the policy looks up per company.
 * - `operator`: the person at the machine running the CLI (full rights; audited under the OS user).
 * - `system`: a scheduled job (maintenance purge, mail, audit heads).
 * - `machine`: a backend holding the internal API key (seed 002 §5.3 routes).
 * - `anonymous`: no credentials yet (sign-in, registration, reset, accepting an invitation as a new user).
 *
 * The principals still to come fit the same shape: an agent (`type: 'agent'`, acting for an owner user with
 * `scopes`), a group a user acts as (`type: 'group'`, its rights from the group's memberships), an API key or
 * an OAuth client (`type: 'machine'` with `scopes`, bound to one company); the API key is `type: 'api-key'`. Each adds one member here and one
 * case in `standingOf` (src/authorization/standing.ts); `scopes` narrow any principal before a rule runs.
 */
export type Principal = UserPrincipal | OperatorPrincipal | SystemPrincipal | MachinePrincipal | AnonymousPrincipal | ApiKeyPrincipal | ClientPrincipal;

interface PrincipalBase extends Actor {
  /**
   * Actions this principal is limited to (API keys, OAuth clients, agents); absent = whatever its standing
   * allows. An action outside the list is refused before any rule runs.
   */
  scopes?: readonly string[];
  /**
   * The one tenant a scoped credential (API key, OAuth client) is bound to: with `scopes`, tenant-API rules allow
   * it only there and answer 404 elsewhere.
   */
  tenantId?: string;
}

export interface UserPrincipal extends PrincipalBase {
  type: 'user';
  id: string;
  globalRole: GlobalRole;
}

export interface OperatorPrincipal extends PrincipalBase {
  type: 'operator';
  id: string | null;
}

export interface SystemPrincipal extends PrincipalBase {
  type: 'system';
  id: string;
}

export interface MachinePrincipal extends PrincipalBase {
  type: 'machine';
  id: string;
}

/**
 * A tenant API key (`Authorization: Bearer kimauth_<slug>_…`, src/api-keys): it may do exactly the actions its
 * scopes cover (`payments:write`, `users:read`… see scopes.ts), in its own tenant only. Audited as actor
 * `api-key` with the key's id — never the key.
 */
export interface ApiKeyPrincipal extends PrincipalBase {
  type: 'api-key';
  /** The key's id (also `keyId`), as the audit actor id. */
  id: string;
  keyId: string;
  tenantId: string;
  scopes: readonly string[];
}

/**
 * A confidential OAuth client of one tenant calling with its own client-credentials access token (a resource server
 * asking the authorization check). Bound to its tenant and to `scopes`, exactly like an API key; audited as `client`.
 */
export interface ClientPrincipal extends PrincipalBase {
  type: 'client';
  /** The client_id. */
  id: string;
  tenantId: string;
  scopes: readonly string[];
}

export function clientPrincipal(client: { clientId: string; tenantId: string }, scopes: readonly string[], channel: Channel): ClientPrincipal {
  return { type: 'client', id: client.clientId, tenantId: client.tenantId, scopes, channel };
}

export interface AnonymousPrincipal extends PrincipalBase {
  type: 'anonymous';
  id: null;
}

export function userPrincipal(userId: string, globalRole: GlobalRole, channel: Channel): UserPrincipal {
  return { type: 'user', id: userId, globalRole, channel };
}

/** The operator at the shell: the OS user, through the CLI. */
export function cliOperator(): OperatorPrincipal {
  let name = 'unknown';
  try {
    name = userInfo().username;
  } catch {
    // No passwd entry (containers): keep 'unknown' rather than fail the command.
  }
  return { type: 'operator', id: name, channel: 'cli' };
}

export function systemJob(job: string): SystemPrincipal {
  return { type: 'system', id: job, channel: 'job' };
}

export function anonymous(channel: Channel): AnonymousPrincipal {
  return { type: 'anonymous', id: null, channel };
}

export function apiKeyPrincipal(key: { id: string; tenantId: string; scopes: readonly string[] }, channel: Channel): ApiKeyPrincipal {
  return { type: 'api-key', id: key.id, keyId: key.id, tenantId: key.tenantId, scopes: key.scopes, channel };
}

/** A backend calling with the internal API key. */
export function internalApiKeyHolder(channel: Channel): MachinePrincipal {
  return { type: 'machine', id: 'internal-api-key', channel };
}

/**
 * The user a service acts for once it knows who it is (after a password, a reset token or an invitation
 * proved it), on the channel the request came through.
 */
export function provenUser(caller: Principal, userId: string): Actor {
  return { type: 'user', id: userId, channel: caller.channel };
}
