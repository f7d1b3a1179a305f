// Every context's tables, for drizzle-kit and for the typed client. Each context owns its own file.
export * from '../tenants/tables.ts';
export * from '../identity/tables.ts';
export * from '../keys/tables.ts';
export * from '../audit/tables.ts';
export * from '../sessions/tables.ts';
export * from '../mail/tables.ts';
export * from '../memberships/tables.ts';
export * from '../access/tables.ts';
export * from '../invitations/tables.ts';
export * from '../clients/tables.ts';
