import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import type { Config } from '../config.js';
import { ProblemSchema } from '../http/schemas.js';
import { requireUser } from './plugin.js';
import { LoginRoute, LogoutRoute, MeView } from './schemas.js';
import { signIn, signOut } from './service.js';
import { checkCsrf, clearSessionCookie, refuseForeignOrigin, sessionCookieOf, setSessionCookie } from './sessions.js';
import { meView } from './view.js';

export const authRoutes: FastifyPluginAsync<{ pool: pg.Pool; config: Config }> = async (fastify, { pool, config }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get('/me', { schema: { tags: ['auth'], summary: '当前用户、角色与管辖范围', response: { 200: MeView, 401: ProblemSchema } } }, async (req) =>
    meView(requireUser(req), req.session),
  );

  // Public: signing in is how a browser gets its credential.
  app.post('/auth/login', { config: { public: true }, schema: LoginRoute }, async (req, reply) => {
    refuseForeignOrigin(req);
    const ua = req.headers['user-agent'];
    const s = await signIn(pool, config, req.log, { login: req.body.login, password: req.body.password, clientIp: req.ip, userAgent: typeof ua === 'string' ? ua : undefined });
    setSessionCookie(reply, req, s.token, s.expiresAt);
    // A public route, so the no-store hook skips it; the answer carries the CSRF token all the same.
    void reply.header('cache-control', 'no-store');
    return meView(s.user, { id: '', csrfToken: s.csrfToken, expiresAt: s.expiresAt });
  });

  // Public: it ends the session the cookie names, if any (a token-authenticated client has nothing to end).
  app.post('/auth/logout', { config: { public: true }, schema: LogoutRoute }, async (req, reply) => {
    const cookie = sessionCookieOf(req);
    if (cookie) {
      // A page of another site must not sign the user out.
      const ended = await signOut(pool, cookie, () => checkCsrf(req, cookie));
      if (ended) req.log.info(ended, 'signed out');
    }
    clearSessionCookie(reply, req);
    return reply.status(204).header('cache-control', 'no-store').send(null);
  });
};
