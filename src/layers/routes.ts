import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import { requireUser } from '../auth/plugin.js';
import { LandClassTotals, LayerList, LayerListQuery } from './schemas.js';
import { CountyYearParams, ProblemSchema } from '../http/schemas.js';
import { currentLayers, landClassTotals } from './service.js';
import { landClassTotalsView, layerVersionView } from './view.js';

export const layerRoutes: FastifyPluginAsync<{ pool: pg.Pool }> = async (fastify, { pool }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/layers',
    { schema: { tags: ['layers'], summary: '当前生效的图层（每县每年每类一个版本）', querystring: LayerListQuery, response: { 200: LayerList } } },
    async (req) => ({ items: (await currentLayers(pool, requireUser(req), req.query.county)).map(layerVersionView) }),
  );

  app.get(
    '/counties/:county/dltb/:year/land-classes',
    {
      schema: {
        tags: ['layers'],
        summary: '地类图斑按地类汇总（图斑数、图斑面积TBMJ，平方米/亩/公顷）',
        params: CountyYearParams(),
        response: { 200: LandClassTotals, 404: ProblemSchema },
      },
    },
    async (req) => {
      const { county, year } = req.params;
      return landClassTotalsView(county, year, await landClassTotals(pool, requireUser(req), county, year));
    },
  );
};
