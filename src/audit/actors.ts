import { anonymous } from '../authorization/principal.ts';

/**
 * The operator at the shell and the scheduled jobs are principals (src/authorization/principal.ts); these are
 * their names as audit actors. Services take their caller's principal and never build an actor themselves.
 */
export { cliOperator as cliActor, systemJob as systemActor } from '../authorization/principal.ts';

/** An unauthenticated HTTP request, for routes that hand it to a service. */
export const ANONYMOUS_HTTP = anonymous('http');
