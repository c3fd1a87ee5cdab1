/**
 * The API's view of the ledgers and reports, and the same as spreadsheet tables (CSV/XLSX with
 * Chinese headers). Every figure is shown by `quotaArea` from its exact µ亩 (src/domain/units.ts).
 */
import type { Static } from '@fastify/type-provider-typebox';
import type { AuditEventRow } from '../procedure/repository.js';
import { cityOf } from '../domain/procedure/actors.js';
import { annualSummaryDue } from '../domain/procedure/deadlines.js';
import { STATES } from '../domain/procedure/state-machine.js';
import type { PilotPeriod } from '../domain/quota/pilot-period.js';
import { m2ToMicroMu, quotaArea, type QuotaArea } from '../domain/units.js';
import type { EntryKind, EntryRow } from '../quota/repository.js';
import { drawView } from '../quota/view.js';
import { actionLabel, overrideText, overrideView, priorRestorationText } from '../procedure/view.js';
import { RIGHT_KINDS } from '../domain/procedure/rights-holders.js';
import { sheet, type AnySheet, type Column } from '../reports/tabular.js';
import { SUBMISSION_STATES } from '../reserve/view.js';
import type { CountyOutlineRow, LedgerParcelRow } from './repository.js';
import type { AnnualSummaryT, AuditLog, CountyLedgerT, CountyMapT, ForestStockT, LedgerLineT, ProvinceSummaryT } from './schemas.js';
import type { AnnualSummaryFigures, Exact, StockYear } from './service.js';

const KIND_LABELS: Record<EntryKind, string> = {
  issued: '下达县级定额',
  pooled: '纳入省级统筹',
  'allocated-in': '省级统筹调入',
  'allocated-out': '省级统筹调出',
  drawn: '建设项目使用',
  deducted: '核查扣减',
  lapsed: '试点期满作废',
};

const ROUNDING_NOTE =
  '面积以地块椭球面积（0.01平方米）为准，台账按微亩（10⁻⁶亩）整数精确累计；500亩以精确值比较。显示时各数值分别由精确值四舍五入：亩、公顷保留4位小数，平方米保留2位小数，合计先精确求和再取整。';

/** One ledger line; `quotaYear` null: the figures of every year together (no reserve year either). */
function line(county: string, quotaYear: number | null, e: Exact): LedgerLineT {
  return {
    countyCode: county,
    cityCode: county === '合计' || county.length !== 6 ? '' : cityOf(county),
    reserveYear: quotaYear === null ? null : quotaYear - 1,
    quotaYear,
    reserveParcels: e.reserveParcels,
    countyReserve: quotaArea(e.countyReserve),
    provincialReserve: quotaArea(e.provincialReserve),
    issuedBasis: quotaArea(e.issuedBasis),
    issued: quotaArea(e.issued),
    pooled: quotaArea(e.pooled),
    allocatedIn: quotaArea(e.allocatedIn),
    allocatedOut: quotaArea(e.allocatedOut),
    drawn: quotaArea(e.drawn),
    deducted: quotaArea(e.deducted),
    lapsed: quotaArea(e.lapsed),
    balance: quotaArea(e.balance),
    poolBalance: quotaArea(e.poolBalance),
    overdrawn: e.balance < 0n,
  };
}

// ---------------------------------------------------------------- JSON

export function countyLedgerView(l: {
  county: string;
  pilot: PilotPeriod;
  years: [number, Exact][];
  total: Exact;
  entries: EntryRow[];
  parcels: LedgerParcelRow[];
}): CountyLedgerT {
  return {
    countyCode: l.county,
    pilotPeriod: l.pilot,
    generatedAt: new Date().toISOString(),
    rounding: ROUNDING_NOTE,
    lines: l.years.map(([y, e]) => line(l.county, y, e)),
    total: line(l.county, null, l.total),
    entries: l.entries.map((e) => ({
      id: e.id,
      at: e.at.toISOString(),
      account: e.account,
      quotaYear: e.quota_year,
      kind: e.kind,
      kindLabel: KIND_LABELS[e.kind],
      amount: quotaArea(e.amount_umu),
      reserveYear: e.reserve_year,
      issuanceId: e.issuance_id,
      drawId: e.draw_id,
      inspectionId: e.inspection_id,
      allocationId: e.allocation_id,
      lapseId: e.lapse_id,
      counterpartyCounty: e.counterparty_county,
      reference: e.reference,
      note: e.note,
      actor: e.actor_login,
    })),
    parcels: l.parcels.map((p) => ({
      id: p.id,
      parcelNo: p.parcel_no,
      townshipCode: p.township_code,
      state: p.state,
      stateLabel: STATES[p.state],
      reserveYear: p.reserve_year,
      area: p.area_m2 === null ? null : quotaArea(m2ToMicroMu(p.area_m2)),
      issuanceId: p.issuance_id,
      issuanceBatch: p.batch,
      quotaYear: p.quota_year,
      verificationOverride: overrideView(p.verification_override),
      priorRestoration: p.prior_restoration && { ...p.prior_restoration, documents: p.prior_restoration.documents.map((d) => ({ ...d })) },
      otherRightsHolders: p.other_holders.map((h) => ({ ...h, kindLabel: RIGHT_KINDS[h.kind] })),
    })),
  };
}

export function provinceSummaryView(s: {
  scope: string;
  quotaYear?: number;
  pilot: PilotPeriod;
  counties: [string, Exact][];
  cities: [string, Exact][];
  total: Exact;
}): ProvinceSummaryT {
  const y = s.quotaYear ?? null;
  return {
    scope: s.scope,
    quotaYear: s.quotaYear ?? null,
    pilotPeriod: s.pilot,
    generatedAt: new Date().toISOString(),
    rounding: ROUNDING_NOTE,
    counties: s.counties.map(([c, e]) => line(c, y, e)),
    cities: s.cities.map(([c, e]) => ({ ...line(c, y, e), countyCode: '', cityCode: c })),
    total: { ...line('合计', y, s.total), countyCode: '', cityCode: '' },
  };
}

/**
 * The summary's counties as GeoJSON features, for a choropleth: every county in scope with an
 * outline or with figures (a county without an imported XZQ has a null geometry).
 */
export function countyMapView(s: { quotaYear?: number; counties: [string, Exact][] }, outlines: CountyOutlineRow[]): CountyMapT {
  const figures = new Map(s.counties);
  const outline = new Map(outlines.map((o) => [o.county_code, o]));
  const codes = [...new Set([...figures.keys(), ...outline.keys()])].sort();
  return {
    type: 'FeatureCollection',
    quotaYear: s.quotaYear ?? null,
    generatedAt: new Date().toISOString(),
    features: codes.map((c) => {
      const e = figures.get(c);
      const o = outline.get(c);
      const area = (k: 'countyReserve' | 'issued' | 'drawn' | 'balance') => quotaArea(e?.[k] ?? 0n);
      return {
        type: 'Feature' as const,
        id: c,
        geometry: o?.geometry ?? null,
        properties: {
          countyCode: c,
          name: o?.name ?? null,
          surveyYear: o?.survey_year ?? null,
          reserveParcels: e?.reserveParcels ?? 0,
          countyReserve: area('countyReserve'),
          issued: area('issued'),
          drawn: area('drawn'),
          balance: area('balance'),
        },
      };
    }),
  };
}

export function annualSummaryView(a: AnnualSummaryFigures): AnnualSummaryT {
  const { inspections: n } = a;
  return {
    countyCode: a.county,
    year: a.year,
    dueOn: annualSummaryDue(a.year),
    submission: a.submission
      ? { submittedOn: a.submission.submitted_on, dueOn: a.submission.due_on, late: a.submission.late, submittedAt: a.submission.submitted_at.toISOString() }
      : null,
    pilotPeriod: a.pilot,
    procedure: {
      actions: a.actions.map((x) => ({ action: x.action, actionLabel: actionLabel(x.action), parcels: x.parcels, area: quotaArea(x.umu) })),
      states: a.states.map((s) => ({ state: s.state, stateLabel: STATES[s.state], parcels: s.parcels, area: quotaArea(s.umu) })),
    },
    reserve: {
      reserveYear: a.year,
      parcels: a.nextReserve.reserveParcels,
      countyReserve: quotaArea(a.nextReserve.countyReserve),
      provincialReserve: quotaArea(a.nextReserve.provincialReserve),
      submissions: a.submissions.map((s) => ({
        id: s.id,
        reserveYear: s.reserve_year,
        submittedOn: s.submitted_on,
        dueOn: s.due_on,
        late: s.late,
        state: s.state,
        stateLabel: SUBMISSION_STATES[s.state],
        approvedOn: s.approved_on,
        returned: s.state === 'returned' ? { returnedOn: s.returned_on!, reason: s.return_reason ?? '' } : null,
        failedParcels: s.failed.map((f) => ({
          parcelId: f.parcel_id,
          parcelNo: f.parcel_no,
          level: f.level,
          levelLabel: f.level === 'city' ? '市级抽查' : '省级抽查',
          reason: f.reason,
          inspectedOn: f.inspected_on,
          area: quotaArea(f.umu),
          verificationOverride: overrideView(f.verification_override),
        })),
        parcels: s.parcel_count,
        area: quotaArea(s.umu),
      })),
    },
    quota: line(a.county, a.year, a.ofYear),
    draws: a.draws.map(drawView),
    inspections: {
      total: n.length,
      intact: n.filter((i) => i.outcome === 'intact').length,
      inadequateCare: n.filter((i) => i.outcome === 'inadequate-care').length,
      qualityDeclined: n.filter((i) => i.outcome === 'quality-declined').length,
      degraded: n.filter((i) => i.outcome === 'degraded').length,
      lost: n.filter((i) => i.outcome === 'lost').length,
      deducted: quotaArea(n.reduce((s, i) => s + i.deducted_umu, 0n)),
      debt: quotaArea(n.reduce((s, i) => s + i.debt_umu, 0n)),
    },
    idleUses: a.idleUses.map(drawView),
  };
}

export function forestStockView(s: { county: string; years: StockYear[]; surveyForest?: { year: number; umu: bigint | null } }): ForestStockT {
  let cumulative = 0n;
  const years = s.years.map((v) => {
    const net = v.added - v.removed - v.occupied;
    cumulative += net;
    return {
      year: v.year,
      addedByReserve: quotaArea(v.added),
      removedFromReserve: quotaArea(v.removed),
      occupiedByProjects: quotaArea(v.occupied),
      net: quotaArea(net),
      cumulativeNet: quotaArea(cumulative),
      balanced: cumulative >= 0n,
    };
  });
  const b = s.surveyForest;
  return {
    countyCode: s.county,
    surveyForest: b ? { year: b.year, area: b.umu === null ? null : quotaArea(b.umu), source: '最新年度地类图斑林地（0301–0307）TBMJ合计' } : null,
    years,
    note: '补充林地按储备年度计入（之后抽查不合格或灭失出库的按出库年度扣回），建设项目占用按审核同意日期计入；累计净变化不小于0即林地保有量动态平衡。',
  };
}

export function auditLogView(r: { rows: AuditEventRow[]; next: number | null }): Static<typeof AuditLog> {
  return {
    items: r.rows.map((e) => ({
      id: e.id,
      at: e.at.toISOString(),
      actor: { id: e.actor_id, login: e.actor_login, role: e.actor_role },
      countyCode: e.county_code,
      table: e.table_name,
      operation: e.operation,
      rowKey: e.row_key,
      parcelId: e.parcel_id,
      data: e.data,
      previous: e.previous,
    })),
    next: r.next,
  };
}

// ---------------------------------------------------------------- tables (CSV: the first sheet; XLSX: all)

/** Two columns per figure: 亩 and 公顷 (4 decimals each, from the exact value). */
function areaColumns<T>(label: string, get: (r: T) => QuotaArea | null): Column<T>[] {
  return [
    { header: `${label}（亩）`, value: (r) => get(r)?.mu, numFmt: '0.0000' },
    { header: `${label}（公顷）`, value: (r) => get(r)?.hectare, numFmt: '0.0000' },
  ];
}

/** 亩 and 公顷 columns for each figure named (figure → its label), in that order. */
function figureColumns<T>(labels: { [K in keyof T]?: string }): Column<T>[] {
  return (Object.entries(labels) as [keyof T, string][]).flatMap(([key, label]) => areaColumns<T>(label, (r) => r[key] as QuotaArea));
}

const LEDGER_FIGURES: { [K in keyof LedgerLineT]?: string } = {
  countyReserve: '储备库面积',
  provincialReserve: '其中省级储备库',
  issuedBasis: '已下达依据面积',
  issued: '下达县级定额',
  pooled: '纳入省级统筹',
  allocatedIn: '省级统筹调入',
  allocatedOut: '省级统筹调出',
  drawn: '已使用',
  deducted: '核查扣减',
  lapsed: '作废',
  balance: '县级结余',
  poolBalance: '省级统筹结余',
};

const ledgerColumns = (first: Column<LedgerLineT>[]): Column<LedgerLineT>[] => [
  ...first,
  { header: '入库地块数', value: (r) => r.reserveParcels },
  ...figureColumns(LEDGER_FIGURES),
];

/** A report as tables: the file name (without extension) and its sheets. */
interface Tables {
  file: string;
  sheets: AnySheet[];
}

export function countyLedgerTables(l: CountyLedgerT): Tables {
  type E = CountyLedgerT['entries'][number];
  type P = CountyLedgerT['parcels'][number];
  const yearCols: Column<LedgerLineT>[] = [
    { header: '县级代码', value: (r) => r.countyCode },
    { header: '储备年度', value: (r) => r.reserveYear ?? '合计' },
    { header: '定额年度', value: (r) => r.quotaYear ?? '' },
  ];
  const entryCols: Column<E>[] = [
    { header: '序号', value: (e) => e.id },
    { header: '时间', value: (e) => e.at },
    { header: '账户', value: (e) => (e.account === 'county' ? '县级定额' : '省级统筹') },
    { header: '定额年度', value: (e) => e.quotaYear },
    { header: '类型', value: (e) => e.kindLabel },
    ...areaColumns<E>('面积', (e) => e.amount),
    { header: '精确值（亩）', value: (e) => e.amount.muExact },
    { header: '依据', value: (e) => e.reference },
    { header: '对方县', value: (e) => e.counterpartyCounty },
    { header: '说明', value: (e) => e.note },
    { header: '经办人', value: (e) => e.actor },
  ];
  const parcelCols: Column<P>[] = [
    { header: '地块编号', value: (p) => p.parcelNo },
    { header: '乡镇代码', value: (p) => p.townshipCode },
    { header: '储备年度', value: (p) => p.reserveYear },
    { header: '状态', value: (p) => p.stateLabel },
    { header: '面积（平方米）', value: (p) => p.area?.m2, numFmt: '0.00' },
    ...areaColumns<P>('面积', (p) => p.area),
    { header: '下达批次', value: (p) => (p.issuanceBatch ? `${p.quotaYear}年定额第${p.issuanceBatch}批` : '') },
    { header: '核实越过检查项', value: (p) => overrideText(p.verificationOverride) },
    { header: '申请前已实施修复', value: (p) => priorRestorationText(p.priorRestoration) },
    { header: '其他相关权利人', value: (p) => p.otherRightsHolders.map((h) => `${h.kindLabel}${h.name}（${h.code}）`).join('、') },
    { header: '地块标识', value: (p) => p.id },
  ];
  return {
    file: `${l.countyCode}_林地占补平衡台账`,
    sheets: [
      sheet({ name: '台账', columns: ledgerColumns(yearCols), rows: [...l.lines, l.total] }),
      sheet({ name: '明细', columns: entryCols, rows: l.entries }),
      sheet({ name: '地块', columns: parcelCols, rows: l.parcels }),
    ],
  };
}

export function provinceSummaryTables(s: ProvinceSummaryT): Tables {
  const rows: LedgerLineT[] = [...s.counties, ...s.cities.map((c) => ({ ...c, countyCode: `${c.cityCode}小计` })), { ...s.total, countyCode: '合计' }];
  const columns = ledgerColumns([
    { header: '设区市代码', value: (r) => r.cityCode },
    { header: '县级代码', value: (r) => r.countyCode },
    { header: '定额年度', value: () => s.quotaYear ?? '全部' },
  ]);
  return { file: `${s.scope}_林地占补平衡汇总${s.quotaYear ? `_${s.quotaYear}` : ''}`, sheets: [sheet({ name: '汇总', columns, rows })] };
}

export function annualSummaryTables(a: AnnualSummaryT): Tables {
  type Row = { item: string; count: number | string | null; area: QuotaArea | null; note: string | null };
  const rows: Row[] = [
    { item: '上报截止日期', count: a.dueOn, area: null, note: a.submission ? `已于${a.submission.submittedOn}上报${a.submission.late ? '（逾期）' : ''}` : '未上报' },
    ...a.procedure.actions.map((x) => ({ item: `本年办理：${x.actionLabel}`, count: x.parcels, area: x.area, note: null })),
    ...a.procedure.states.map((x) => ({ item: `当前状态：${x.stateLabel}`, count: x.parcels, area: x.area, note: null })),
    { item: `${a.year}年度储备库`, count: a.reserve.parcels, area: a.reserve.countyReserve, note: null },
    { item: `${a.year}年度省级储备库`, count: null, area: a.reserve.provincialReserve, note: null },
    ...a.reserve.submissions.flatMap((x) => [
      {
        item: `储备库报送（${x.reserveYear}年度）：${x.stateLabel}`,
        count: x.parcels,
        area: x.area,
        note: `${x.submittedOn}报送，截止${x.dueOn}${x.late ? '，逾期' : ''}${x.approvedOn ? `；${x.approvedOn}经县级人民政府审核` : '；未经县级人民政府审核'}${x.returned ? `；${x.returned.returnedOn}退回：${x.returned.reason}` : ''}`,
      },
      ...x.failedParcels.map((f) => ({
        item: `  抽查不合格地块${f.parcelNo}（${f.levelLabel}，已出库）`,
        count: null,
        area: f.area,
        note: [f.reason, f.inspectedOn && `核查日期${f.inspectedOn}`, f.verificationOverride && `核实越过检查项：${overrideText(f.verificationOverride)}`].filter(Boolean).join('；'),
      })),
    ]),
    { item: `${a.year}年定额：下达县级`, count: null, area: a.quota.issued, note: null },
    { item: `${a.year}年定额：省级统筹调入`, count: null, area: a.quota.allocatedIn, note: null },
    { item: `${a.year}年定额：已使用`, count: a.draws.length, area: a.quota.drawn, note: null },
    {
      item: `${a.year}年定额：核查扣减`,
      count: a.inspections.total - a.inspections.intact,
      area: a.quota.deducted,
      note: `核查${a.inspections.total}块：管护不到位${a.inspections.inadequateCare}块，林分质量下降${a.inspections.qualityDeclined}块，退化${a.inspections.degraded}块，灭失${a.inspections.lost}块；认定损失${a.inspections.deducted.mu}亩，其中转入欠扣${a.inspections.debt.mu}亩`,
    },
    { item: `${a.year}年定额：作废`, count: null, area: a.quota.lapsed, note: null },
    { item: `${a.year}年定额：结余`, count: null, area: a.quota.balance, note: null },
    { item: '闲置两年以上应收回的项目用地', count: a.idleUses.length, area: null, note: a.idleUses.map((d) => `${d.projectName}（${d.approvalNo}）`).join('、') || null },
  ];
  const columns: Column<Row>[] = [
    { header: '项目', value: (r) => r.item },
    { header: '数量', value: (r) => r.count },
    ...areaColumns<Row>('面积', (r) => r.area),
    { header: '说明', value: (r) => r.note },
  ];
  return { file: `${a.countyCode}_${a.year}年度林地占补平衡试点工作总结`, sheets: [sheet({ name: '年度总结', columns, rows })] };
}

export function forestStockTables(s: ForestStockT): Tables {
  type Row = ForestStockT['years'][number];
  const columns: Column<Row>[] = [
    { header: '年度', value: (r) => r.year },
    ...figureColumns<Row>({
      addedByReserve: '储备库补充林地',
      removedFromReserve: '出库（抽查不合格或灭失）',
      occupiedByProjects: '建设项目占用',
      net: '净变化',
      cumulativeNet: '累计净变化',
    }),
    { header: '动态平衡', value: (r) => (r.balanced ? '是' : '否') },
  ];
  return { file: `${s.countyCode}_林地保有量`, sheets: [sheet({ name: '林地保有量', columns, rows: s.years })] };
}
