/**
 * @simplewebauthn/server, loaded on the first passkey ceremony (the module loader keeps it): it brings the
 * X.509/ASN.1 stack, a few hundred ms to import, which no CLI command and no server start should pay for.
 */
export function webauthn(): Promise<typeof import('@simplewebauthn/server')> {
  return import('@simplewebauthn/server');
}
