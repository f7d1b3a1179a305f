import { InvalidArgumentError } from 'commander';
import { validationError } from '../../app/errors.ts';
import type { MembershipMetadata } from '../../memberships/tables.ts';
import { isUuid } from '../../tenants/tenants.ts';
import type { CliContext } from '../context.ts';
import { readSecret } from '../io.ts';

/** Option parsers and secret input shared by the `kimauth users …` command files. */

export function intArg(name: string, min: number) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}`);
    return n;
  };
}

export function metadataArg(value: string): MembershipMetadata {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError('--metadata must be a JSON object');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new InvalidArgumentError('--metadata must be a JSON object');
  return parsed as MembershipMetadata;
}

export function businessUnitArg(value: string): string {
  if (!isUuid(value)) throw new InvalidArgumentError('--business-unit must be a UUID');
  return value;
}

export async function readPassword(ctx: CliContext, opts: { passwordStdin?: boolean; passwordFile?: string }): Promise<string | undefined> {
  if (opts.passwordStdin && opts.passwordFile) throw validationError('Use either --password-stdin or --password-file');
  return readSecret(ctx.io, { stdin: opts.passwordStdin, file: opts.passwordFile });
}
