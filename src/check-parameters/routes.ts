import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import { PERMISSIONS, requireRole, requireUser } from '../auth/plugin.js';
import { ProblemSchema } from '../http/schemas.js';
import { ParameterSetList, ParameterSetView, PublishParameterSetBody } from './schemas.js';
import * as service from './service.js';

export const checkParameterRoutes: FastifyPluginAsync<{ pool: pg.Pool }> = async (fastify, { pool }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const problems = { 400: ProblemSchema, 403: ProblemSchema };

  app.get(
    '/check-parameters',
    { schema: { tags: ['candidates'], summary: '现行候选地块检查参数（省级发布的版本）', response: { 200: ParameterSetView, ...problems } } },
    async (req) => service.current(pool, requireUser(req)),
  );

  app.get(
    '/check-parameters/versions',
    { schema: { tags: ['candidates'], summary: '检查参数的全部版本（按版本倒序，含发布人与理由）', response: { 200: ParameterSetList, ...problems } } },
    async (req) => service.versions(pool, requireUser(req)),
  );

  app.post(
    '/check-parameters/versions',
    {
      schema: {
        tags: ['candidates'],
        summary: '发布新版检查参数（仅省级管理员；立即生效，记入审计日志）',
        description: '须给出全部九项阈值与发布理由。此后的检查按新版参数运行；按旧版参数所做的检查不能再作为核实、验收的依据，须重新检查。',
        body: PublishParameterSetBody,
        response: { 201: ParameterSetView, ...problems },
      },
      // Who may publish is decided before anything about the body is said (a misspelt threshold: unknown-property).
      preValidation: async (req) => requireRole(requireUser(req), PERMISSIONS.publishCheckParameters, '发布候选地块检查参数'),
    },
    async (req, reply) => {
      const view = await service.publish(pool, requireUser(req), req.body);
      return reply.status(201).header('location', '/api/v1/check-parameters').send(view);
    },
  );
};
