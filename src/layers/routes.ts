import type { FastifyPluginAsync } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import { areaFigures } from '../domain/units.js';
import { Problem } from '../http/problem.js';
import { ProblemSchema } from '../imports/schemas.js';
import { LAYER_SPECS, isLayerKind } from './specs.js';
import { currentLayers, dltbTotalsByLandClass } from './repository.js';
import { requireUser } from '../auth/plugin.js';
import { withScope } from '../auth/scope.js';
import { CountyCode, Year } from '../http/schemas.js';

const Area = Type.Object({ m2: Type.Number(), mu: Type.Number({ description: '亩' }), hectare: Type.Number({ description: '公顷' }) });

export const layerRoutes: FastifyPluginAsync<{ pool: pg.Pool }> = async (fastify, { pool }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/layers',
    {
      schema: {
        tags: ['layers'],
        summary: '当前生效的图层（每县每年每类一个版本）',
        querystring: Type.Object({ county: Type.Optional(CountyCode()) }),
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                layer: Type.String(),
                layerLabel: Type.String(),
                countyCode: Type.String(),
                surveyYear: Type.Integer(),
                importId: Type.String(),
                sourceName: Type.String(),
                features: Type.Integer(),
                crs: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
                importedAt: Type.String({ format: 'date-time' }),
              }),
            ),
          }),
        },
      },
    },
    async (req) => ({
      items: (await withScope(pool, requireUser(req), (tx) => currentLayers(tx.client, req.query.county))).map((r) => ({
        layer: r.layer,
        layerLabel: isLayerKind(r.layer) ? LAYER_SPECS[r.layer].label : r.layer,
        countyCode: r.county_code,
        surveyYear: r.survey_year,
        importId: r.import_id,
        sourceName: r.source_name,
        features: r.imported_count,
        crs: r.crs,
        importedAt: r.finished_at.toISOString(),
      })),
    }),
  );

  app.get(
    '/counties/:county/dltb/:year/land-classes',
    {
      schema: {
        tags: ['layers'],
        summary: '地类图斑按地类汇总（图斑数、图斑面积TBMJ，平方米/亩/公顷）',
        params: Type.Object({ county: CountyCode(), year: Year() }),
        response: {
          200: Type.Object({
            countyCode: Type.String(),
            surveyYear: Type.Integer(),
            total: Type.Object({ parcels: Type.Integer(), area: Area }),
            items: Type.Array(Type.Object({ dlbm: Type.String(), dlmc: Type.Union([Type.String(), Type.Null()]), parcels: Type.Integer(), area: Area })),
          }),
          404: ProblemSchema,
        },
      },
    },
    async (req) => {
      const { county, year } = req.params;
      const rows = await withScope(pool, requireUser(req), (tx) => dltbTotalsByLandClass(tx.client, county, year));
      if (rows.length === 0) throw new Problem(404, 'layer-not-imported', 'Layer not imported', `${county}县${year}年地类图斑尚未导入`);
      const sum = rows.reduce((s, r) => s + r.tbmj_m2, 0);
      return {
        countyCode: county,
        surveyYear: year,
        total: { parcels: rows.reduce((s, r) => s + r.parcels, 0), area: areaFigures(sum) },
        items: rows.map((r) => ({ dlbm: r.dlbm, dlmc: r.dlmc, parcels: r.parcels, area: areaFigures(r.tbmj_m2) })),
      };
    },
  );
};
