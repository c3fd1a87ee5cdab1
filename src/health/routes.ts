import type { FastifyPluginAsync } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import gdal from 'gdal-async';
import type pg from 'pg';

const Health = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
  database: Type.Object({ ok: Type.Boolean(), postgis: Type.Optional(Type.String()), error: Type.Optional(Type.String()) }),
  gdal: Type.String(),
});

export const healthRoutes: FastifyPluginAsync<{ pool: pg.Pool }> = async (app, { pool }) => {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/health',
    { schema: { tags: ['health'], summary: '服务与数据库状态', response: { 200: Health, 503: Health } } },
    async (_req, reply) => {
      const gdalVersion = gdal.version;
      try {
        const { rows } = await pool.query<{ v: string }>('SELECT postgis_lib_version() AS v');
        return { status: 'ok' as const, database: { ok: true, postgis: rows[0]!.v }, gdal: gdalVersion };
      } catch (err) {
        return reply.status(503).send({ status: 'degraded' as const, database: { ok: false, error: (err as Error).message }, gdal: gdalVersion });
      }
    },
  );
};
