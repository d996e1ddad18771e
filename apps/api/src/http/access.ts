import { SetMetadata } from '@nestjs/common';
import { Role } from '@accrual/platform';

/**
 * What a route does, and so which roles may call it (CONTRACT §2):
 * admin all; operator commands and queries but not audit or erasure; ingest usage only;
 * reader queries and reports; auditor queries, reports and audit.
 */
export type Access = 'public' | 'command' | 'usage' | 'query' | 'audit' | 'erase';

export const ROLES_BY_ACCESS: Record<Exclude<Access, 'public'>, readonly Role[]> = {
  command: ['admin', 'operator'],
  usage: ['admin', 'operator', 'ingest'],
  query: ['admin', 'operator', 'reader', 'auditor'],
  audit: ['admin', 'auditor'],
  erase: ['admin'],
};

export const ACCESS_KEY = 'accrual:access';
export const RequiresAccess = (access: Access) => SetMetadata(ACCESS_KEY, access);
