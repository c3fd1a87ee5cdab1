import type { FastifyRequest } from 'fastify';
import type { Static } from '@fastify/type-provider-typebox';
import { ROLE_LABELS } from '../domain/procedure/actors.js';
import type { MeView } from './schemas.js';
import type { AuthUser } from './scope.js';

/** The signed-in user as the API shows it: role, jurisdiction and, for a browser session, its CSRF token. */
export const meView = (u: AuthUser, session: FastifyRequest['session']): Static<typeof MeView> => ({
  id: u.id,
  login: u.login,
  name: u.name,
  role: u.role,
  roleLabel: ROLE_LABELS[u.role],
  adminCode: u.adminCode,
  scopePrefix: u.prefix,
  township: u.township,
  session: session ? { csrfToken: session.csrfToken, expiresAt: session.expiresAt.toISOString() } : null,
});
