import type { FastifyPluginAsync } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ROLE_LABELS } from '../domain/procedure/actors.js';
import { ProblemSchema } from '../http/schemas.js';
import { requireUser } from './plugin.js';

export const authRoutes: FastifyPluginAsync = async (fastify) => {
  fastify.withTypeProvider<TypeBoxTypeProvider>().get(
    '/me',
    {
      schema: {
        tags: ['auth'],
        summary: '当前用户、角色与管辖范围',
        response: {
          200: Type.Object({
            id: Type.String(),
            login: Type.String(),
            name: Type.String(),
            role: Type.String(),
            roleLabel: Type.String(),
            adminCode: Type.String(),
            scopePrefix: Type.String({ description: '可见的行政区代码前缀：省2位、市4位、县6位' }),
            township: Type.Union([Type.String(), Type.Null()]),
          }),
          401: ProblemSchema,
        },
      },
    },
    async (req) => {
      const u = requireUser(req);
      return { id: u.id, login: u.login, name: u.name, role: u.role, roleLabel: ROLE_LABELS[u.role], adminCode: u.adminCode, scopePrefix: u.prefix, township: u.township };
    },
  );
};
