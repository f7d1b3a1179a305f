/** Comma- or space-separated values as typed on a command line (`a,b`, `a b`, or a variadic argument). */
export function listArg(value: string | string[] | undefined): string[] {
  const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}
