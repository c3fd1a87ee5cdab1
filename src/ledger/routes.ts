import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import { requireUser } from '../auth/plugin.js';
import type { QuotaArea } from '../domain/quota/five-hundred-mu.js';
import type { PilotPeriod } from '../domain/quota/pilot-period.js';
import { ProblemSchema } from '../imports/schemas.js';
import { attachment, toCsv, xlsxStream, XLSX_TYPE, type Column, type Sheet } from '../reports/tabular.js';
import * as service from './service.js';
import { CountyCode, IdParams, IsoDate, SafeInteger, Uuid, Year } from '../http/schemas.js';

const problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema, 422: ProblemSchema };
const Format = Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv'), Type.Literal('xlsx')], { description: 'json（默认）、csv（UTF-8带BOM）或xlsx' }));
const County = Type.Object({ county: CountyCode() });

/** Two columns per figure: 亩 and 公顷 (4 decimals each, from the exact value). */
function areaColumns<T>(label: string, get: (r: T) => QuotaArea | null): Column<T>[] {
  return [
    { header: `${label}（亩）`, value: (r) => get(r)?.mu, numFmt: '0.0000' },
    { header: `${label}（公顷）`, value: (r) => get(r)?.hectare, numFmt: '0.0000' },
  ];
}

type Line = service.LedgerLine;
const ledgerColumns = (first: Column<Line>[]): Column<Line>[] => [
  ...first,
  { header: '入库地块数', value: (r) => r.reserveParcels },
  ...areaColumns<Line>('储备库面积', (r) => r.countyReserve),
  ...areaColumns<Line>('其中省级储备库', (r) => r.provincialReserve),
  ...areaColumns<Line>('已下达依据面积', (r) => r.issuedBasis),
  ...areaColumns<Line>('下达县级定额', (r) => r.issued),
  ...areaColumns<Line>('纳入省级统筹', (r) => r.pooled),
  ...areaColumns<Line>('省级统筹调入', (r) => r.allocatedIn),
  ...areaColumns<Line>('省级统筹调出', (r) => r.allocatedOut),
  ...areaColumns<Line>('已使用', (r) => r.drawn),
  ...areaColumns<Line>('核查扣减', (r) => r.deducted),
  ...areaColumns<Line>('作废', (r) => r.lapsed),
  ...areaColumns<Line>('县级结余', (r) => r.balance),
  ...areaColumns<Line>('省级统筹结余', (r) => r.poolBalance),
];

async function send(reply: FastifyReply, format: string | undefined, file: string, sheets: Sheet<any>[], json: unknown) {
  if (format === 'csv') {
    return reply.type('text/csv; charset=utf-8').header('content-disposition', attachment(`${file}.csv`)).send(await toCsv(sheets[0]!.columns, sheets[0]!.rows));
  }
  if (format === 'xlsx') return reply.type(XLSX_TYPE).header('content-disposition', attachment(`${file}.xlsx`)).send(xlsxStream(sheets));
  return json;
}

export const ledgerRoutes: FastifyPluginAsync<{ pool: pg.Pool; pilot: PilotPeriod }> = async (fastify, { pool, pilot }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/counties/:county/ledger',
    {
      schema: {
        tags: ['ledger'],
        summary: '县级台账：储备年度、下达、统筹、使用、扣减、作废、结余（亩与公顷），JSON/CSV/XLSX',
        description: 'XLSX含三张表：台账（按年度）、明细（每笔台账记录及其依据）、地块（储备库地块及下达批次）。CSV为台账表。',
        params: County,
        querystring: Type.Object({ format: Format }),
        response: { 200: Type.Any(), ...problems },
      },
    },
    async (req, reply) => {
      const l = await service.countyLedger(pool, requireUser(req), pilot, req.params.county);
      const lines = [...l.lines, { ...l.total, reserveYear: 0, quotaYear: 0 }];
      const yearCols: Column<Line>[] = [
        { header: '县级代码', value: (r) => r.countyCode },
        { header: '储备年度', value: (r) => (r.reserveYear ? r.reserveYear : '合计') },
        { header: '定额年度', value: (r) => (r.quotaYear ? r.quotaYear : '') },
      ];
      type E = (typeof l.entries)[number];
      type P = (typeof l.parcels)[number];
      const sheets: Sheet<any>[] = [
        { name: '台账', columns: ledgerColumns(yearCols), rows: lines },
        {
          name: '明细',
          columns: [
            { header: '序号', value: (e: E) => e.id },
            { header: '时间', value: (e: E) => e.at },
            { header: '账户', value: (e: E) => (e.account === 'county' ? '县级定额' : '省级统筹') },
            { header: '定额年度', value: (e: E) => e.quotaYear },
            { header: '类型', value: (e: E) => e.kindLabel },
            ...areaColumns<E>('面积', (e) => e.amount),
            { header: '精确值（亩）', value: (e: E) => e.amount.muExact },
            { header: '依据', value: (e: E) => e.reference },
            { header: '对方县', value: (e: E) => e.counterpartyCounty },
            { header: '说明', value: (e: E) => e.note },
            { header: '经办人', value: (e: E) => e.actor },
          ] as Column<E>[],
          rows: l.entries,
        },
        {
          name: '地块',
          columns: [
            { header: '地块编号', value: (p: P) => p.parcelNo },
            { header: '乡镇代码', value: (p: P) => p.townshipCode },
            { header: '储备年度', value: (p: P) => p.reserveYear },
            { header: '状态', value: (p: P) => p.stateLabel },
            { header: '面积（平方米）', value: (p: P) => p.area?.m2, numFmt: '0.00' },
            ...areaColumns<P>('面积', (p) => p.area),
            { header: '下达批次', value: (p: P) => (p.issuanceBatch ? `${p.quotaYear}年定额第${p.issuanceBatch}批` : '') },
            { header: '地块标识', value: (p: P) => p.id },
          ] as Column<P>[],
          rows: l.parcels,
        },
      ];
      return send(reply, req.query.format, `${l.countyCode}_林地占补平衡台账`, sheets, l);
    },
  );

  app.get(
    '/ledger/province',
    {
      schema: {
        tags: ['ledger'],
        summary: '全省（或本市）汇总：各县储备、下达、统筹、使用、扣减、作废、结余，JSON/CSV/XLSX',
        querystring: Type.Object({ quotaYear: Type.Optional(Year()), format: Format }),
        response: { 200: Type.Any(), ...problems },
      },
    },
    async (req, reply) => {
      const s = await service.provinceSummary(pool, requireUser(req), pilot, req.query.quotaYear);
      const rows: Line[] = [...s.counties, ...s.cities.map((c) => ({ ...c, countyCode: `${c.cityCode}小计` })), { ...s.total, countyCode: '合计' }];
      const cols = ledgerColumns([
        { header: '设区市代码', value: (r) => r.cityCode },
        { header: '县级代码', value: (r) => r.countyCode },
        { header: '定额年度', value: () => s.quotaYear ?? '全部' },
      ]);
      return send(reply, req.query.format, `${s.scope}_林地占补平衡汇总${s.quotaYear ? `_${s.quotaYear}` : ''}`, [{ name: '汇总', columns: cols, rows }], s);
    },
  );

  app.get(
    '/counties/:county/annual-summary/:year',
    {
      schema: {
        tags: ['ledger'],
        summary: '县级年度试点工作总结（次年1月初上报），JSON/CSV/XLSX',
        params: Type.Object({ county: CountyCode(), year: Year({ minimum: 2019 }) }),
        querystring: Type.Object({ format: Format }),
        response: { 200: Type.Any(), ...problems },
      },
    },
    async (req, reply) => {
      const a = await service.annualSummary(pool, requireUser(req), pilot, req.params.county, req.params.year);
      type Row = { item: string; count: number | string | null; area: QuotaArea | null; note: string | null };
      const rows: Row[] = [
        { item: '上报截止日期', count: a.dueOn, area: null, note: a.submission ? `已于${a.submission.submittedOn}上报${a.submission.late ? '（逾期）' : ''}` : '未上报' },
        ...a.procedure.actions.map((x) => ({ item: `本年办理：${x.action}`, count: x.parcels, area: x.area, note: null })),
        ...a.procedure.states.map((x) => ({ item: `当前状态：${x.stateLabel}`, count: x.parcels, area: x.area, note: null })),
        { item: `${a.year}年度储备库`, count: a.reserve.parcels, area: a.reserve.countyReserve, note: null },
        { item: `${a.year}年度省级储备库`, count: null, area: a.reserve.provincialReserve, note: null },
        ...a.reserve.submissions.map((x) => ({ item: `报市审核（${x.reserveYear}年度）`, count: x.parcels, area: x.area, note: `${x.submittedOn}报送，截止${x.dueOn}${x.late ? '，逾期' : ''}` })),
        { item: `${a.year}年定额：下达县级`, count: null, area: a.quota.issued, note: null },
        { item: `${a.year}年定额：省级统筹调入`, count: null, area: a.quota.allocatedIn, note: null },
        { item: `${a.year}年定额：已使用`, count: a.draws.length, area: a.quota.drawn, note: null },
        { item: `${a.year}年定额：核查扣减`, count: a.inspections.degraded + a.inspections.lost, area: a.quota.deducted, note: `核查${a.inspections.total}块，退化${a.inspections.degraded}块，灭失${a.inspections.lost}块` },
        { item: `${a.year}年定额：作废`, count: null, area: a.quota.lapsed, note: null },
        { item: `${a.year}年定额：结余`, count: null, area: a.quota.balance, note: a.quota.overdrawn ? '透支（核查扣减超过结余）' : null },
        { item: '闲置两年以上应收回的项目用地', count: a.idleUses.length, area: null, note: a.idleUses.map((d) => `${d.projectName}（${d.approvalNo}）`).join('、') || null },
      ];
      const cols: Column<Row>[] = [
        { header: '项目', value: (r) => r.item },
        { header: '数量', value: (r) => r.count },
        ...areaColumns<Row>('面积', (r) => r.area),
        { header: '说明', value: (r) => r.note },
      ];
      return send(reply, req.query.format, `${a.countyCode}_${a.year}年度林地占补平衡试点工作总结`, [{ name: '年度总结', columns: cols, rows }], a);
    },
  );

  app.post(
    '/counties/:county/annual-summary/:year/submit',
    {
      schema: {
        tags: ['ledger'],
        summary: '上报年度试点工作总结（截止次年1月10日，逾期标记；上报时冻结快照）',
        params: Type.Object({ county: CountyCode(), year: Year({ minimum: 2019 }) }),
        body: Type.Optional(Type.Object({ submittedOn: Type.Optional(IsoDate('上报日期')) })),
        response: { 201: Type.Any(), ...problems },
      },
      preValidation: async (req) => {
        if (req.body === undefined || req.body === null) (req as { body: unknown }).body = {};
      },
    },
    async (req, reply) => reply.status(201).send(await service.submitAnnualSummary(pool, requireUser(req), pilot, req.params.county, req.params.year, req.body ?? {})),
  );

  app.get(
    '/counties/:county/forest-stock',
    {
      schema: {
        tags: ['ledger'],
        summary: '林地保有量动态平衡：储备库补充林地与建设项目占用（按年度），JSON/CSV/XLSX',
        params: County,
        querystring: Type.Object({ format: Format }),
        response: { 200: Type.Any(), ...problems },
      },
    },
    async (req, reply) => {
      const s = await service.forestStock(pool, requireUser(req), req.params.county);
      type Row = (typeof s.years)[number];
      const cols: Column<Row>[] = [
        { header: '年度', value: (r) => r.year },
        ...areaColumns<Row>('储备库补充林地', (r) => r.addedByReserve),
        ...areaColumns<Row>('出库（抽查不合格或灭失）', (r) => r.removedFromReserve),
        ...areaColumns<Row>('建设项目占用', (r) => r.occupiedByProjects),
        ...areaColumns<Row>('净变化', (r) => r.net),
        ...areaColumns<Row>('累计净变化', (r) => r.cumulativeNet),
        { header: '动态平衡', value: (r) => (r.balanced ? '是' : '否') },
      ];
      return send(reply, req.query.format, `${s.countyCode}_林地保有量`, [{ name: '林地保有量', columns: cols, rows: s.years }], s);
    },
  );

  const auditQuery = Type.Object({
    parcelId: Type.Optional(Uuid()),
    county: Type.Optional(CountyCode()),
    table: Type.Optional(Type.String({ maxLength: 100 })),
    after: Type.Optional(SafeInteger({ minimum: 0 })),
    limit: Type.Integer({ minimum: 1, maximum: 5000, default: 500 }),
  });

  app.get(
    '/audit-log',
    {
      schema: { tags: ['ledger'], summary: '审计日志（只增不改）：每一项变更的操作人、时间与内容', querystring: auditQuery, response: { 200: Type.Any(), ...problems } },
    },
    async (req) => service.auditLog(pool, requireUser(req), req.query),
  );

  app.get(
    '/procedures/:id/audit-log',
    {
      schema: {
        tags: ['procedure'],
        summary: '一个地块的审计日志',
        params: IdParams,
        querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 5000, default: 1000 }) }),
        response: { 200: Type.Any(), ...problems },
      },
    },
    async (req) => service.auditLog(pool, requireUser(req), { parcelId: req.params.id, limit: req.query.limit, parcelMustExist: true }),
  );
};
