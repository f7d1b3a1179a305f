import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { validationError, isAppError } from '../../app/errors.ts';
import type { Deps } from '../../app/deps.ts';
import { cliActor } from '../../audit/actors.ts';
import { AUTH_PROVIDERS, GLOBAL_ROLES } from '../../identity/tables.ts';
import { createUserByAdmin } from '../../identity/user-admin.ts';
import { CreateUserRequest } from '../../identity/user-input.ts';
import type { CliContext } from '../context.ts';
import { readAllStdin } from '../io.ts';
import type { Output } from '../output.ts';
import { readPassword } from './user-options.ts';
import { printUser } from './user-output.ts';

interface BulkResult {
  line: number;
  ok: boolean;
  user?: { id: string; email: string };
  error?: { code: string; message: string };
}

/**
 * Bulk creation: one JSON object per input line (the CreateUserRequest body), one JSON result line per input
 * line on stdout. Rows are independent: a failed row does not stop the others.
 */
async function createFromFile(deps: Deps, text: string, out: Output): Promise<BulkResult[]> {
  const results: BulkResult[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (!raw || raw.startsWith('#')) continue;
    let result: BulkResult;
    try {
      let row: unknown;
      try {
        row = JSON.parse(raw);
      } catch {
        throw validationError('not valid JSON');
      }
      const parsed = CreateUserRequest.safeParse(row);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw validationError(`${issue.path.join('.') || 'row'}: ${issue.message}`);
      }
      const user = await createUserByAdmin(deps, cliActor(), parsed.data);
      result = { line: i + 1, ok: true, user: { id: user.id, email: user.email } };
    } catch (err) {
      if (!isAppError(err)) throw err;
      result = { line: i + 1, ok: false, error: { code: err.code, message: err.message } };
    }
    results.push(result);
    out.jsonLine(result);
  }
  return results;
}

/** `kimauth users create`: one user from flags, or many from a JSON-lines file. */
export function registerUserCreateCommand(users: Command, ctx: CliContext): void {
  users
    .command('create')
    .description('create a user (APPROVED and active unless told otherwise); they are mailed a set-password link')
    .option('--email <email>', 'email address (unique)')
    .option('--name <name>', 'display name')
    .addOption(new Option('--global-role <role>', 'platform role').choices(GLOBAL_ROLES).default('NONE'))
    .option('--pending', 'create as PENDING approval instead of APPROVED')
    .option('--inactive', 'create deactivated')
    .option('--phone <number>', 'phone number')
    .option('--picture-url <url>', 'profile picture URL')
    .addOption(new Option('--auth-provider <provider>', 'how the user signs in').choices(AUTH_PROVIDERS))
    .option('--password-stdin', 'read an initial password from stdin (never mailed)')
    .option('--password-file <file>', 'read an initial password from a file (never mailed)')
    .option('--from-file <file>', 'bulk: one CreateUserRequest JSON object per line ("-" = stdin); prints one JSON result per line')
    .addHelpText(
      'after',
      `
Without a password the user chooses one through the set-password link in the welcome mail (valid 7 days).
With --from-file every input line yields one output line {"line","ok","user"|"error"}; exit 1 if any row failed.

Examples:
  $ kimauth users create --email jane@acme.com --name "Jane Doe"
  $ printf '%s' "$PW" | kimauth users create --email ops@acme.com --name Ops --global-role PLATFORM_ADMIN --password-stdin
  $ kimauth users create --from-file people.jsonl     # {"email":"a@acme.com","fullName":"A"} per line`,
    )
    .action(
      async (
        opts: {
          email?: string;
          name?: string;
          globalRole: never;
          pending?: boolean;
          inactive?: boolean;
          phone?: string;
          pictureUrl?: string;
          authProvider?: never;
          passwordStdin?: boolean;
          passwordFile?: string;
          fromFile?: string;
        },
        cmd: Command,
      ) => {
        if (opts.fromFile) {
          if (opts.email || opts.name) throw validationError('Use either --from-file or --email/--name');
          if (opts.passwordStdin && opts.fromFile === '-') throw validationError('stdin cannot carry both the rows and a password');
          const text = opts.fromFile === '-' ? await readAllStdin(ctx.io.stdin) : readFileSync(opts.fromFile, 'utf8');
          const results = await ctx.withDeps(cmd, (deps, out) => createFromFile(deps, text, out));
          const failed = results.filter((r) => !r.ok).length;
          if (failed > 0) throw new Error(`${failed} of ${results.length} row(s) failed`);
          return;
        }
        if (!opts.email || !opts.name) throw validationError('--email and --name are required (or use --from-file)');
        const password = await readPassword(ctx, opts);
        await ctx.withDeps(cmd, async (deps, out) => {
          const user = await createUserByAdmin(deps, cliActor(), {
            email: opts.email!,
            fullName: opts.name!,
            password,
            globalRole: opts.globalRole,
            approvalStatus: opts.pending ? 'PENDING' : 'APPROVED',
            isActive: !opts.inactive,
            authProvider: opts.authProvider,
            phoneNumber: opts.phone,
            profilePictureUrl: opts.pictureUrl,
          });
          printUser(out, user, `Created user ${user.email} (${user.id})`);
        });
      },
    );
}
