import type { DashboardRole } from '../../store/queries/dashboard-sessions.js';

/**
 * What each role may do. read: see the merchant's integration (keys, webhooks, orders, audit).
 * write: change it (keys, webhooks). manage_users: add users and change roles.
 * manage_security: merchant-wide security settings (require 2FA for everyone).
 * Each user's own sign-in, sessions, password and 2FA are theirs whatever the role.
 */
export type Permission = 'read' | 'write' | 'manage_users' | 'manage_security';

const GRANTS: Readonly<Record<DashboardRole, ReadonlySet<Permission>>> = {
  owner: new Set<Permission>(['read', 'write', 'manage_users', 'manage_security']),
  developer: new Set<Permission>(['read', 'write']),
  viewer: new Set<Permission>(['read']),
};

export function roleAllows(role: DashboardRole, permission: Permission): boolean {
  return GRANTS[role].has(permission);
}
