import type { Command } from 'commander';
import { validationError } from '../../app/errors.ts';
import { cliActor } from '../../audit/actors.ts';
import { getUser } from '../../identity/users.ts';
import { getSession, listSessions } from '../../sessions/sessions.ts';
import { revokeEverySession, revokeSessionById } from '../../sessions/sign-out.ts';
import type { SessionRow } from '../../sessions/tables.ts';
import type { CliContext } from '../context.ts';

export function sessionJson(s: SessionRow) {
  return {
    id: s.id,
    userId: s.userId,
    authType: s.authType,
    createdAt: s.createdAt.toISOString(),
    lastUsedAt: s.lastUsedAt.toISOString(),
    expiresAt: s.expiresAt.toISOString(),
    revokedAt: s.revokedAt?.toISOString() ?? null,
    revokeReason: s.revokeReason,
    ip: s.ip,
    userAgent: s.userAgent,
  };
}

/**
 * `kimauth users sessions list|revoke`, attached under whichever `users` command the program has, so the users
 * command group can live in its own file.
 */
export function registerUserSessionsCommands(usersCommand: Command, ctx: CliContext): void {
  const sessions = usersCommand
    .command('sessions')
    .description("list and revoke a user's sign-in sessions")
    .addHelpText(
      'after',
      '\nExamples:\n  $ kimauth users sessions list ops@example.com\n  $ kimauth users sessions revoke 6ba7b810-9dad-11d1-80b4-00c04fd430c8\n  $ kimauth users sessions revoke --all ops@example.com',
    );

  sessions
    .command('list <user>')
    .description('list the live sessions of a user (by id or email)')
    .option('--include-revoked', 'also list revoked sessions')
    .addHelpText('after', '\nExamples:\n  $ kimauth users sessions list ops@example.com\n  $ kimauth users sessions list ops@example.com --include-revoked --json')
    .action(async (ref: string, opts: { includeRevoked?: boolean }, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        const user = getUser(deps, ref);
        const rows = listSessions(deps, user.id, { includeRevoked: opts.includeRevoked });
        out.result(rows.map(sessionJson), () =>
          out.table(rows, [
            { header: 'session', value: (s) => s.id },
            { header: 'created', value: (s) => s.createdAt },
            { header: 'last used', value: (s) => s.lastUsedAt },
            { header: 'expires', value: (s) => s.expiresAt },
            { header: 'ip', value: (s) => s.ip },
            { header: 'revoked', value: (s) => (s.revokedAt ? `${s.revokedAt.toISOString()} (${s.revokeReason})` : null) },
          ]),
        );
      }),
    );

  sessions
    .command('revoke [sessionId]')
    .description('revoke one session, or with --all every session of a user (which also invalidates their access tokens)')
    .option('--all <user>', 'revoke every session of this user (id or email) and bump their tokenVersion')
    .addHelpText(
      'after',
      '\nExamples:\n  $ kimauth users sessions revoke 6ba7b810-9dad-11d1-80b4-00c04fd430c8\n  $ kimauth users sessions revoke --all ops@example.com --json',
    )
    .action(async (sessionId: string | undefined, opts: { all?: string }, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        if (Boolean(sessionId) === Boolean(opts.all)) throw validationError('Give either a session id or --all <user>');
        if (opts.all) {
          const user = getUser(deps, opts.all);
          const count = revokeEverySession(deps, user.id, 'operator', cliActor());
          out.result({ userId: user.id, revokedSessions: count, tokenVersionBumped: true }, () =>
            out.line(`Revoked ${count} session${count === 1 ? '' : 's'} of ${user.email}; their access tokens no longer work.`),
          );
          return;
        }
        const revoked = revokeSessionById(deps, sessionId!, 'operator', cliActor());
        const session = getSession(deps, sessionId!)!;
        out.result({ ...sessionJson(session), revokedNow: revoked }, () =>
          out.line(revoked ? `Revoked session ${sessionId}.` : `Session ${sessionId} was already revoked.`),
        );
      }),
    );
}
