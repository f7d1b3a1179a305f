import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.ts';
import { createCliContext } from '../../src/cli/context.ts';
import { cli } from '../support/cli.ts';
import { VERSION } from '../../src/app/version.ts';

/** Every command path of the real program, e.g. ['users', 'memberships', 'set']. */
function commandPaths(command: Command, prefix: string[] = []): string[][] {
  return command.commands.flatMap((c) => {
    const path = [...prefix, c.name()];
    return [path, ...commandPaths(c, path)];
  });
}

// Every command group loaded (the CLI itself loads only the group a command line names).
const program = await buildProgram(createCliContext({} as never));
const paths = commandPaths(program);

describe('--help', () => {
  it('covers every command group of INTERFACE.md', () => {
    const top = paths.filter((p) => p.length === 1).map((p) => p[0]);
    expect(top).toEqual(expect.arrayContaining(['init', 'serve', 'users', 'tenants', 'keys', 'audit']));
    expect(paths.length).toBeGreaterThan(40);
  });

  it('lists every command group on `kimauth --help`, though each loads only when it runs', async () => {
    const res = await cli(['--help']);
    // Commands kimauth starts for itself (`internal …`) are hidden: a person never types them.
    const hidden = new Set(program.commands.filter((c) => (c as unknown as { _hidden: boolean })._hidden).map((c) => c.name()));
    expect([...hidden]).toEqual(['internal']);
    expect(res.stdout).not.toMatch(/^  internal\b/m);
    for (const name of paths.filter((p) => p.length === 1 && !hidden.has(p[0])).map((p) => p[0])) expect(res.stdout).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
    expect((await cli(['--version'])).stdout.trim()).toBe(`${VERSION} (Node.js ${process.version})`);
  });

  it('finds the command after global options, and an unknown command still gets suggestions', async () => {
    const res = await cli(['--data-dir', '/nonexistent/kimauth', '--json', 'users', 'list']);
    expect(res.stderr).toContain('not a kimauth data dir');
    const typo = await cli(['userz', 'list']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/Did you mean users\?/);
  });

  it.each(paths.map((p) => [p.join(' '), p]))('kimauth %s --help shows a description and an example', async (_name, path) => {
    const res = await cli([...(path as string[]), '--help']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^Usage: kimauth /m);
    expect(res.stdout).toMatch(/Examples?:\n\s+\$ .*kimauth /);
  });
});
