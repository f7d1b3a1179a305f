import type { Command } from 'commander';
import { initInstance, type InitResult } from '../../app/instance.ts';
import { cliActor } from '../../audit/actors.ts';
import type { CliContext } from '../context.ts';
import { readSecret } from '../io.ts';
import type { Output } from '../output.ts';

export const DEFAULT_ADMIN_EMAIL = 'admin@kimauth.local';

interface InitOptions {
  yes?: boolean;
  adminEmail?: string;
  adminName?: string;
  adminPasswordStdin?: boolean;
  adminPasswordFile?: string;
  publicUrl?: string;
}

export function printInitResult(out: Output, result: InitResult): void {
  out.result(
    {
      dataDir: result.dataDir,
      adminEmail: result.adminEmail,
      adminId: result.adminId,
      masterTenantId: result.masterTenantId,
      ...(result.generatedPassword ? { generatedPassword: result.generatedPassword } : {}),
    },
    () => {
      out.line(`Initialised kimauth in ${result.dataDir}`);
      out.line(`  platform admin:  ${result.adminEmail}`);
      if (result.generatedPassword) {
        out.line(`  password:        ${result.generatedPassword}`);
        out.line('  (shown once — store it now; only its argon2id hash is kept)');
      }
    },
  );
}

export function registerInitCommand(program: Command, ctx: CliContext): void {
  program
    .command('init')
    .description('create the data dir, database, master key, the `master` tenant and the first platform admin')
    .option('-y, --yes', 'take flags and defaults, never prompt')
    .option('--admin-email <email>', `first platform admin (default with --yes: ${DEFAULT_ADMIN_EMAIL})`)
    .option('--admin-name <name>', 'display name of the first admin', 'Platform Admin')
    .option('--admin-password-stdin', "read the admin's password from stdin")
    .option('--admin-password-file <file>', "read the admin's password from a file")
    .option('--public-url <url>', 'base URL of this instance (issuer, links), saved in kimauth.json')
    .addHelpText(
      'after',
      `
Without --admin-password-stdin/--admin-password-file a password is generated and printed once.

Examples:
  $ kimauth init                                   # asks on a terminal
  $ kimauth init --yes --admin-email ops@example.com
  $ printf '%s' "$PW" | kimauth --data-dir /var/lib/kimauth init --yes --admin-email ops@example.com --admin-password-stdin
  $ KIMAUTH_MASTER_KEY_FILE=/etc/kimauth/master.key kimauth --data-dir /var/lib/kimauth init --yes   # key outside the data dir`,
    )
    .action(async (opts: InitOptions, cmd: Command) => {
      const out = ctx.output(cmd);
      const interactive = !opts.yes && Boolean(ctx.io.stdin.isTTY) && Boolean(ctx.io.stdout.isTTY) && !out.json;
      let adminEmail = opts.adminEmail;
      let adminPassword = await readSecret(ctx.io, { stdin: opts.adminPasswordStdin, file: opts.adminPasswordFile });
      let publicUrl = opts.publicUrl;
      if (interactive) {
        const { input, password, confirm } = await import('@inquirer/prompts');
        adminEmail ??= await input({ message: 'Platform admin email', default: DEFAULT_ADMIN_EMAIL });
        if (adminPassword === undefined) {
          const own = await confirm({ message: 'Choose the admin password yourself? (no = generate one)', default: false });
          if (own) adminPassword = await password({ message: 'Admin password (min 8 characters)', mask: '*' });
        }
        publicUrl ??= await input({ message: 'Public URL of this instance', default: 'http://localhost:3097' });
      }
      const config = ctx.config(cmd, publicUrl ? { publicUrl } : {});
      const result = await initInstance({
        config,
        adminEmail: adminEmail ?? DEFAULT_ADMIN_EMAIL,
        adminName: opts.adminName,
        adminPassword,
        publicUrl,
        actor: cliActor(),
        clock: ctx.clock,
      });
      printInitResult(out, result);
    });
}
