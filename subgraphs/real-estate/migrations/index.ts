import type { Migration } from 'kysely';
import * as m001 from './001_init';
import * as m002 from './002_search';

export const migrations: Record<string, Migration> = { '001_init': m001, '002_search': m002 };
