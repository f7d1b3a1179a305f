import path from 'node:path';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliWith } from '../../src/cli/command-line.ts';
import { createCliContext } from '../../src/cli/context.ts';
import { commandNamed, GLOBAL_OPTIONS_WITH_VALUE, runsInCore } from '../../src/cli/core-commands.ts';
import { CORE_COMMAND_GROUPS } from '../../src/cli/core-groups.ts';
import { READ_SUBCOMMANDS } from '../../src/cli/commands/users-read.ts';
import { buildProgram } from '../../src/cli/program.ts';
import { cli } from '../support/cli.ts';
import { tempDir } from '../support/deps.ts';

/** The single binary runs the command lines of runsInCore in its CLI core bundle: they must run exactly as in the full CLI. */
const core = (argv: string[], io: Parameters<typeof runCliWith>[2], clock?: Parameters<typeof runCliWith>[3]) => runCliWith(CORE_COMMAND_GROUPS, argv, io, clock);

const program = await buildProgram(createCliContext({} as never));

describe('the CLI core of the single binary', () => {
  it('knows which global options take a value, as the program defines them', () => {
    const takeValue = program.options.filter((o) => o.required || o.optional).flatMap((o) => [o.long, o.short].filter(Boolean));
    expect(GLOBAL_OPTIONS_WITH_VALUE).toEqual(takeValue);
    expect(commandNamed(['--data-dir', 'users', '--json', 'tenants', 'list'])).toEqual({ name: 'tenants', subcommand: 'list' });
  });

  it('runs users list and show, and no other command of the program', () => {
    const users = program.commands.find((c) => c.name() === 'users') as Command;
    for (const sub of users.commands.map((c) => c.name())) {
      expect(runsInCore(['users', sub]), sub).toBe(READ_SUBCOMMANDS.includes(sub));
      expect(runsInCore(['--json', '--data-dir', '/d', 'users', sub, '--help']), sub).toBe(READ_SUBCOMMANDS.includes(sub));
    }
    for (const name of program.commands.map((c) => c.name()).filter((n) => n !== 'users')) expect(runsInCore([name, 'list']), name).toBe(false);
    for (const argv of [[], ['--help'], ['users'], ['users', '--help'], ['help', 'users', 'list'], ['--data-dir', 'users', 'list'], ['userz', 'list'], ['users', 'lst']]) {
      expect(runsInCore(argv), argv.join(' ')).toBe(false);
    }
    expect(READ_SUBCOMMANDS.length).toBeGreaterThan(0);
  });

  describe('prints what the full CLI prints', () => {
    const dir = tempDir('kimauth-core-cli-');
    const dataDir = path.join(dir.path, 'data');
    beforeAll(async () => {
      const init = await cli(['--data-dir', dataDir, 'init', '--yes', '--admin-email', 'ops@example.com', '--admin-password-stdin'], { stdin: 'core-cli-pw-1' });
      expect(init.code, init.stderr).toBe(0);
      expect((await cli(['--data-dir', dataDir, 'tenants', 'create', '--slug', 'acme', '--name', 'Acme'])).code).toBe(0);
    });
    afterAll(() => dir.remove());

    it.each([
      ['users', 'list', '--json'],
      ['users', 'list'],
      ['--json', 'users', 'list', '--limit', '1', '--offset', '1'],
      ['users', 'list', '--tenant', 'acme'],
      ['users', 'list', '--business-unit', 'x'],
      ['users', 'list', '--approval-status', 'BOGUS'],
      ['users', 'list', '--bogus'],
      ['users', 'list', '--help'],
      ['users', 'show', 'ops@example.com'],
      ['users', 'show', 'ops@example.com', '--json'],
      ['users', 'show', 'nobody@example.com'],
      ['users', 'show'],
      ['users', 'show', '--help'],
    ])('%s %s %s', async (...argv) => {
      const env = { KIMAUTH_DATA_DIR: dataDir };
      const [full, inCore] = [await cli(argv, { env }), await cli(argv, { env, run: core })];
      expect(runsInCore(argv)).toBe(true);
      expect(inCore).toMatchObject({ code: full.code, stdout: full.stdout, stderr: full.stderr });
      expect(full.stdout + full.stderr).not.toBe('');
    });
  });
});
