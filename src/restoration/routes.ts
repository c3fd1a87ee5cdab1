import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import { requireUser } from '../auth/plugin.js';
import { attachment, sheet, toCsv, xlsxStream } from '../reports/tabular.js';
import { XLSX_TYPE } from '../http/tabular-schemas.js';
import { PageQuery, RestorablePage, SummaryQuery, SummaryView, restorationSchema } from './schemas.js';
import { restorablePage, restorableSummary } from './service.js';
import { restorablePageText, restorableQuery, summaryRows, townshipColumns } from './view.js';

export const restorationRoutes: FastifyPluginAsync<{ pool: pg.Pool }> = async (fastify, { pool }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/counties/:county/restorable-mining-land/summary',
    {
      schema: restorationSchema(
        '可生态修复为林地的采矿用地：按乡镇汇总（平方米、亩、公顷），JSON/CSV/XLSX',
        '现状年度（默认最新导入的调查年度）非林地图斑中，当年或此前任一调查为0602采矿用地的部分，扣除已有候选或储备地块覆盖部分后的面积。面积：整个图斑可修复时用TBMJ，否则按椭球面积方法计算剩余部分。',
        SummaryQuery,
        SummaryView,
      ),
    },
    async (req, reply) => {
      const { format, ...filters } = req.query;
      const s = await restorableSummary(pool, requireUser(req), restorableQuery(req.params.county, filters));
      const file = `${s.countyCode}_${s.surveyYear}_可修复采矿用地汇总`;
      // CSV and XLSX go out as they are (the serializer passes text and streams through).
      const raw = reply as FastifyReply;
      if (format === 'csv') {
        return raw.type('text/csv; charset=utf-8').header('content-disposition', attachment(`${file}.csv`)).send(await toCsv(townshipColumns, summaryRows(s)));
      }
      if (format === 'xlsx') {
        return raw.type(XLSX_TYPE).header('content-disposition', attachment(`${file}.xlsx`)).send(xlsxStream([sheet({ name: '按乡镇汇总', columns: townshipColumns, rows: summaryRows(s) })]));
      }
      return s;
    },
  );

  app.get(
    '/counties/:county/restorable-mining-land',
    {
      schema: restorationSchema(
        '可修复采矿用地图斑（GeoJSON，分页）',
        '按标识顺序分页，每页默认1000个要素；links中rel=next给出下一页。几何为扣除候选/储备地块后的剩余部分（EPSG:4490）。',
        PageQuery,
        RestorablePage,
      ),
    },
    async (req, reply) => {
      const { limit, after, ...filters } = req.query;
      const page = await restorablePage(pool, requireUser(req), restorableQuery(req.params.county, filters), { after, limit });
      // Text built by the view (schema RestorablePage), passed through by the serializer.
      return (reply as FastifyReply).type('application/geo+json').send(restorablePageText(req.params.county, filters, { limit, after }, page));
    },
  );
};
