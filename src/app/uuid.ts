import { z } from 'zod';

/** Any 8-4-4-4-12 hex id; anything else is 400 validation_error (HTTP bodies, params and the contexts' input schemas). */
export const Uuid = z.guid({ message: 'must be a UUID' });
