import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import { DetailRoute, StatusRoute } from './schemas.js';
import { gdalVersion, probeDatabase as probe } from './service.js';

export const healthRoutes: FastifyPluginAsync<{ pool: pg.Pool }> = async (fastify, { pool }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/health',
    {
      config: { public: true },
      schema: StatusRoute,
    },
    async (_req, reply) => ((await probe(pool)).ok ? { status: 'ok' as const } : reply.status(503).send({ status: 'down' as const })),
  );

  app.get(
    '/api/v1/health',
    {
      config: { action: '查看服务运行详情' }, // who: src/domain/permissions.ts
      schema: DetailRoute,
    },
    async (_req, reply) => {
      const db = await probe(pool);
      const body = { status: db.ok ? ('ok' as const) : ('degraded' as const), database: db, gdal: gdalVersion() };
      return db.ok ? body : reply.status(503).send(body);
    },
  );
};
