/** The credential of an `Authorization: Bearer …` header (RFC 6750 §2.1), or undefined when absent or malformed. */
export function bearerCredential(header: string | undefined): string | undefined {
  if (!header) return undefined;
  return /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
}
