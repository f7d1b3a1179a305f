import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.ts';
import { createCliContext } from '../../src/cli/context.ts';
import { cli } from '../support/cli.ts';

/** Every command path of the real program, e.g. ['users', 'memberships', 'set']. */
function commandPaths(command: Command, prefix: string[] = []): string[][] {
  return command.commands.flatMap((c) => {
    const path = [...prefix, c.name()];
    return [path, ...commandPaths(c, path)];
  });
}

describe('--help', () => {
  const program = buildProgram(createCliContext({} as never));
  const paths = commandPaths(program);

  it('covers every command group of INTERFACE.md', () => {
    const top = paths.filter((p) => p.length === 1).map((p) => p[0]);
    expect(top).toEqual(expect.arrayContaining(['init', 'serve', 'users', 'tenants', 'keys', 'audit']));
    expect(paths.length).toBeGreaterThan(40);
  });

  it.each(paths.map((p) => [p.join(' '), p]))('kimauth %s --help shows a description and an example', async (_name, path) => {
    const res = await cli([...(path as string[]), '--help']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^Usage: kimauth /m);
    expect(res.stdout).toMatch(/Examples?:\n\s+\$ .*kimauth /);
  });
});
