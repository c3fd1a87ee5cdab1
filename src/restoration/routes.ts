import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type, type Static, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import { Problem } from '../http/problem.js';
import { requireUser } from '../auth/plugin.js';
import { withScope } from '../auth/scope.js';
import { ProblemSchema } from '../imports/schemas.js';
import { attachment, toCsv, xlsxStream, XLSX_TYPE, type Column } from '../reports/tabular.js';
import { areaFigures } from '../domain/units.js';
import { restorablePage, restorableSummary, type RestorableQuery, type TownshipTotal } from './service.js';
import { CountyCode, Int32, Year } from '../http/schemas.js';

const Filters = Type.Object({
  year: Type.Optional(Year({ description: '基础调查年份，默认该县最早导入的地类图斑年份' })),
  township: Type.Optional(Type.String({ pattern: '^\\d{9}$', description: '乡镇代码（坐落单位代码前9位）' })),
  minAreaM2: Type.Optional(Type.Number({ minimum: 0, maximum: 1e12, description: '可修复面积下限（平方米）' })),
  ownership: Type.Optional(Type.Union([Type.Literal('state'), Type.Literal('collective')], { description: 'state 国有 / collective 集体' })),
  qsxz: Type.Optional(Type.String({ pattern: '^\\d{2}(,\\d{2})*$', description: '权属性质代码，逗号分隔' })),
  czcsxm204: Type.Optional(Type.Boolean({ description: '仅城镇村属性码204（盐田及采矿用地）' })),
  bbox: Type.Optional(Type.String({ maxLength: 200, pattern: '^-?\\d{1,3}(\\.\\d+)?,-?\\d{1,3}(\\.\\d+)?,-?\\d{1,3}(\\.\\d+)?,-?\\d{1,3}(\\.\\d+)?$', description: 'minLon,minLat,maxLon,maxLat（EPSG:4490）' })),
});
type FiltersT = Static<typeof Filters>;

const CountyParams = Type.Object({ county: CountyCode() });

function toQuery(county: string, f: FiltersT): RestorableQuery {
  const bbox = f.bbox?.split(',').map(Number) as [number, number, number, number] | undefined;
  if (bbox && (bbox[0] >= bbox[2] || bbox[1] >= bbox[3])) {
    throw new Problem(400, 'bbox-invalid', 'Invalid bbox', `bbox应为“最小经度,最小纬度,最大经度,最大纬度”，实际为“${f.bbox}”`);
  }
  return {
    county,
    year: f.year,
    township: f.township,
    minAreaM2: f.minAreaM2,
    ownership: f.ownership,
    qsxz: f.qsxz?.split(','),
    czcsxm204: f.czcsxm204,
    bbox,
  };
}

/** Query string of the current filters, for next links. */
function filterQuery(f: FiltersT): URLSearchParams {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) if (v !== undefined && k !== 'after' && k !== 'limit' && k !== 'format') q.set(k, String(v));
  return q;
}

const townshipColumns: Column<TownshipTotal>[] = [
  { header: '乡镇代码', value: (t) => t.township },
  { header: '乡镇名称', value: (t) => t.name },
  { header: '图斑数', value: (t) => t.parcels },
  { header: '可修复面积（平方米）', value: (t) => t.area.m2, numFmt: '0.00' },
  { header: '可修复面积（亩）', value: (t) => t.area.mu, numFmt: '0.0000' },
  { header: '可修复面积（公顷）', value: (t) => t.area.hectare, numFmt: '0.0000' },
];

export const restorationRoutes: FastifyPluginAsync<{ pool: pg.Pool }> = async (fastify, { pool }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  // Reads run as the user's scope, so row-level security stands behind the county check too.
  const scoped = <T>(req: FastifyRequest, fn: (db: pg.PoolClient) => Promise<T>) => withScope(pool, requireUser(req), (tx) => fn(tx.client));

  app.get(
    '/counties/:county/restorable-mining-land/summary',
    {
      schema: {
        tags: ['restoration'],
        summary: '可生态修复为林地的采矿用地：按乡镇汇总（平方米、亩、公顷），JSON/CSV/XLSX',
        description: '基础调查0602采矿用地扣除已有候选或储备地块覆盖部分后的面积。面积：未被覆盖的图斑用TBMJ，被部分覆盖的图斑按椭球面积方法计算剩余部分。',
        params: CountyParams,
        querystring: Type.Intersect([Filters, Type.Object({ format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv'), Type.Literal('xlsx')])) })]),
        response: { 200: Type.Any(), 400: ProblemSchema, 422: ProblemSchema },
      },
    },
    async (req, reply) => {
      const { format, ...filters } = req.query;
      const s = await scoped(req, (db) => restorableSummary(db, toQuery(req.params.county, filters)));
      const rows: TownshipTotal[] = [...s.townships, { township: '合计', name: `${s.countyCode}县合计`, parcels: s.total.parcels, area: s.total.area }];
      const file = `${s.countyCode}_${s.surveyYear}_可修复采矿用地汇总`;
      if (format === 'csv') {
        return reply.type('text/csv; charset=utf-8').header('content-disposition', attachment(`${file}.csv`)).send(await toCsv(townshipColumns, rows));
      }
      if (format === 'xlsx') {
        return reply.type(XLSX_TYPE).header('content-disposition', attachment(`${file}.xlsx`)).send(xlsxStream([{ name: '按乡镇汇总', columns: townshipColumns, rows }]));
      }
      return s;
    },
  );

  app.get(
    '/counties/:county/restorable-mining-land',
    {
      schema: {
        tags: ['restoration'],
        summary: '可修复采矿用地图斑（GeoJSON，分页）',
        description: '按标识顺序分页，每页默认1000个要素；links中rel=next给出下一页。几何为扣除候选/储备地块后的剩余部分（EPSG:4490）。',
        params: CountyParams,
        querystring: Type.Intersect([
          Filters,
          Type.Object({
            limit: Type.Integer({ minimum: 1, maximum: 5000, default: 1000 }),
            after: Type.Optional(Int32({ minimum: -1, description: '上一页最后一个要素的fid' })),
          }),
        ]),
        response: { 200: Type.Any(), 400: ProblemSchema, 422: ProblemSchema },
      },
    },
    async (req, reply) => {
      const { limit, after, ...filters } = req.query;
      const county = req.params.county;
      const page = await scoped(req, (db) => restorablePage(db, toQuery(county, filters), { after, limit }));
      const base = `/api/v1/counties/${county}/restorable-mining-land`;
      const links = [{ rel: 'self', type: 'application/geo+json', href: `${base}?${new URLSearchParams({ ...Object.fromEntries(filterQuery(filters)), limit: String(limit), ...(after !== undefined ? { after: String(after) } : {}) })}` }];
      if (page.next !== undefined) {
        links.push({ rel: 'next', type: 'application/geo+json', href: `${base}?${new URLSearchParams({ ...Object.fromEntries(filterQuery(filters)), limit: String(limit), after: String(page.next) })}` });
      }
      // Built as text: geometry arrives as GeoJSON from PostGIS and is passed through unparsed.
      const features = page.items.map(({ row: r, restorableM2 }) => {
        const a = areaFigures(restorableM2);
        const properties = {
          BSM: r.bsm, DLBM: r.dlbm, DLMC: r.dlmc, QSXZ: r.qsxz, QSDWDM: r.qsdwdm, QSDWMC: r.qsdwmc,
          ZLDWDM: r.zldwdm, ZLDWMC: r.zldwmc, CZCSXM: r.czcsxm, TBMJ: r.tbmj === null ? null : Number(r.tbmj),
          KXFMJ: a.m2, KXFMJ_MU: a.mu, KXFMJ_HA: a.hectare, BFFG: r.cut,
        };
        return `{"type":"Feature","id":${r.fid},"geometry":${r.geometry ?? 'null'},"properties":${JSON.stringify(properties)}}`;
      });
      return reply
        .type('application/geo+json')
        .send(
          `{"type":"FeatureCollection","numberReturned":${features.length},"surveyYear":${page.surveyYear},"links":${JSON.stringify(links)},"features":[${features.join(',')}]}`,
        );
    },
  );
};
