/**
 * The reports of issue 10 point 9 as JSON and as tables (CSV: the first sheet; XLSX: all), Chinese
 * headers, every area in m², 亩 and 公顷, each rounded once from its exact µ亩 (src/domain/units.ts).
 */
import { cityOf } from '../domain/procedure/actors.js';
import { OUTCOME_EFFECTS, OUTCOME_LABELS } from '../domain/quota/inspection.js';
import { m2ToMicroMu, quotaArea, type MicroMu, type QuotaArea } from '../domain/units.js';
import type { Exact } from '../ledger/service.js';
import { STATES } from '../domain/procedure/state-machine.js';
import { overrideText, overrideView } from '../procedure/view.js';
import { SUBMISSION_STATES } from '../reserve/view.js';
import type { ArrangementT, CityReportT, CountyYearT, EvaluationT } from './schemas.js';
import type { ArrangementFigures, CityReportFigures, CountyYearLine, EvaluationFigures, OutcomeCounts } from './service.js';
import { sheet, type AnySheet, type Column } from './tabular.js';

const SOURCE_LABELS = { county: '本县新增定额', pool: '申请省级统筹' } as const;
const KIND_LABELS = { reserve: '储备库地块', restoration: '拟修复' } as const;
const LEVEL_LABELS = { city: '市级抽查（≥30%面积）', province: '省级抽查（≥15%面积）' } as const;

// ---------------------------------------------------------------- JSON

export function arrangementView(f: ArrangementFigures): ArrangementT {
  const a = f.arrangement;
  const surplus = f.available - f.plannedCounty;
  return {
    countyCode: f.county,
    year: f.year,
    version: a.version,
    dueOn: f.dueOn,
    arrangedOn: a.arranged_on,
    late: a.arranged_on > f.dueOn,
    notes: a.notes,
    arrangedAt: a.arranged_at.toISOString(),
    projects: a.projects.map((p) => ({
      name: p.name,
      townshipCode: p.townshipCode,
      quotaSource: p.quotaSource,
      quotaSourceLabel: SOURCE_LABELS[p.quotaSource],
      area: quotaArea(BigInt(p.areaUmu)),
      note: p.note,
    })),
    supplementary: a.supplementary.map((s) => ({
      name: s.name,
      kind: s.kind,
      kindLabel: KIND_LABELS[s.kind],
      townshipCode: s.townshipCode,
      area: quotaArea(BigInt(s.areaUmu)),
      parcelIds: s.parcelIds,
      parcels: s.parcelIds.flatMap((id) => {
        const p = f.parcels.get(id);
        return p ? [{ id, parcelNo: p.parcel_no, state: p.state, stateLabel: STATES[p.state], verificationOverride: overrideView(p.verification_override) }] : [];
      }),
      note: s.note,
    })),
    figures: {
      available: quotaArea(f.available),
      debt: quotaArea(f.debt),
      plannedCounty: quotaArea(f.plannedCounty),
      plannedPool: quotaArea(f.plannedPool),
      surplus: quotaArea(surplus),
      withinQuota: surplus >= 0n,
      supplementReserve: quotaArea(f.supplementReserve),
      supplementRestoration: quotaArea(f.supplementRestoration),
    },
  };
}

const inspectionCounts = (c: OutcomeCounts, loss: MicroMu) => ({
  total: Object.values(c).reduce((t, n) => t + n, 0),
  intact: c.intact,
  inadequateCare: c['inadequate-care'],
  qualityDeclined: c['quality-declined'],
  degraded: c.degraded,
  lost: c.lost,
  loss: quotaArea(loss),
});

function countyYear(county: string, reserve: Exact, quota: Exact, counts: OutcomeCounts, loss: MicroMu, debt: MicroMu): CountyYearT {
  return {
    countyCode: county,
    cityCode: /^\d{6}$/.test(county) ? cityOf(county) : '',
    reserve: { parcels: reserve.reserveParcels, countyReserve: quotaArea(reserve.countyReserve), provincialReserve: quotaArea(reserve.provincialReserve) },
    quota: {
      issued: quotaArea(quota.issued),
      allocatedIn: quotaArea(quota.allocatedIn),
      drawn: quotaArea(quota.drawn),
      deducted: quotaArea(quota.deducted),
      lapsed: quotaArea(quota.lapsed),
      balance: quotaArea(quota.balance),
    },
    inspections: inspectionCounts(counts, loss),
    debt: quotaArea(debt),
  };
}

const lineView = (l: CountyYearLine) => countyYear(l.county, l.reserve, l.quota, l.inspections, l.loss, l.debt);

function totalOf(lines: CountyYearLine[]): CountyYearT {
  const add = (k: keyof Exact) => lines.reduce((t, l) => t + (l.reserve[k] as bigint), 0n);
  const addQ = (k: keyof Exact) => lines.reduce((t, l) => t + (l.quota[k] as bigint), 0n);
  const counts = Object.fromEntries(Object.keys(OUTCOME_LABELS).map((o) => [o, lines.reduce((t, l) => t + l.inspections[o as keyof OutcomeCounts], 0)])) as OutcomeCounts;
  const reserve = { reserveParcels: lines.reduce((t, l) => t + l.reserve.reserveParcels, 0), countyReserve: add('countyReserve'), provincialReserve: add('provincialReserve') } as Exact;
  const quota = { issued: addQ('issued'), allocatedIn: addQ('allocatedIn'), drawn: addQ('drawn'), deducted: addQ('deducted'), lapsed: addQ('lapsed'), balance: addQ('balance') } as Exact;
  return countyYear('合计', reserve, quota, counts, lines.reduce((t, l) => t + l.loss, 0n), lines.reduce((t, l) => t + l.debt, 0n));
}

export function cityReportView(f: CityReportFigures): CityReportT {
  return {
    cityCode: f.city,
    year: f.year,
    dueOn: f.dueOn,
    submission: f.submission ? { submittedOn: f.submission.submitted_on, late: f.submission.late, submittedAt: f.submission.submitted_at.toISOString() } : null,
    counties: f.counties.map((c) => ({
      ...lineView(c),
      summary: c.summary ? { submittedOn: c.summary.submitted_on, late: c.summary.late } : null,
      arrangement: c.arrangement
        ? {
            year: f.year + 1,
            version: c.arrangement.version,
            arrangedOn: c.arrangement.arrangedOn,
            plannedCounty: quotaArea(c.arrangement.plannedCounty),
            plannedPool: quotaArea(c.arrangement.plannedPool),
            supplement: quotaArea(c.arrangement.supplement),
          }
        : null,
    })),
    total: totalOf(f.counties),
    arrangementTotal: {
      plannedCounty: quotaArea(f.counties.reduce((t, c) => t + (c.arrangement?.plannedCounty ?? 0n), 0n)),
      plannedPool: quotaArea(f.counties.reduce((t, c) => t + (c.arrangement?.plannedPool ?? 0n), 0n)),
      supplement: quotaArea(f.counties.reduce((t, c) => t + (c.arrangement?.supplement ?? 0n), 0n)),
    },
  };
}

export function evaluationView(f: EvaluationFigures): EvaluationT {
  return {
    scope: f.scope,
    year: f.year,
    generatedAt: new Date().toISOString(),
    counties: f.counties.map((c) => ({
      ...lineView(c),
      audits: c.audits.map((a) => {
        const population = Number(a.population_m2);
        return {
          countyCode: a.county_code,
          level: a.level,
          levelLabel: LEVEL_LABELS[a.level],
          reserveYear: a.reserve_year,
          submissionState: a.submission_state,
          submissionStateLabel: SUBMISSION_STATES[a.submission_state],
          population: quotaArea(m2ToMicroMu(a.population_m2)),
          sampled: quotaArea(m2ToMicroMu(a.sampled_m2)),
          sharePct: population > 0 ? Math.round((Number(a.sampled_m2) / population) * 10000) / 100 : 0,
          samples: a.samples,
          failed: a.failed,
          failedArea: quotaArea(m2ToMicroMu(a.failed_m2)),
          completed: a.completed_at !== null,
        };
      }),
    })),
    total: totalOf(f.counties),
    inspections: f.inspections.map((n) => ({
      countyCode: n.county_code,
      parcelNo: n.parcel_no,
      inspectedOn: n.inspected_on,
      outcome: n.outcome,
      outcomeLabel: OUTCOME_LABELS[n.outcome],
      effect: OUTCOME_EFFECTS[n.outcome].text,
      area: quotaArea(n.area_umu),
      affected: quotaArea(n.affected_umu),
      loss: quotaArea(n.deducted_umu),
      debt: quotaArea(n.debt_umu),
      rectifyBy: n.rectify_by,
      findings: n.findings,
      verificationOverride: overrideView(n.verification_override),
    })),
  };
}

// ---------------------------------------------------------------- tables

/** Three columns per area: m² (2 decimals), 亩 and 公顷 (4 decimals), each from the exact value. */
function areaColumns<T>(label: string, get: (r: T) => QuotaArea | null | undefined): Column<T>[] {
  return [
    { header: `${label}（平方米）`, value: (r) => get(r)?.m2, numFmt: '0.00' },
    { header: `${label}（亩）`, value: (r) => get(r)?.mu, numFmt: '0.0000' },
    { header: `${label}（公顷）`, value: (r) => get(r)?.hectare, numFmt: '0.0000' },
  ];
}

interface Tables {
  file: string;
  sheets: AnySheet[];
}

export function arrangementTables(a: ArrangementT): Tables {
  type Row = { type: string; name: string; township: string | null; source: string; area: QuotaArea; note: string | null; parcels?: ArrangementT['supplementary'][number]['parcels'] };
  const rows: Row[] = [
    ...a.projects.map((p) => ({ type: '拟使用林地项目', name: p.name, township: p.townshipCode, source: p.quotaSourceLabel, area: p.area, note: p.note })),
    ...a.supplementary.map((s) => ({ type: '补充林地', name: s.name, township: s.townshipCode, source: s.kindLabel, area: s.area, note: s.note, parcels: s.parcels })),
  ];
  const columns: Column<Row>[] = [
    { header: '类别', value: (r) => r.type },
    { header: '名称', value: (r) => r.name },
    { header: '乡镇代码', value: (r) => r.township },
    { header: '定额来源或补充方式', value: (r) => r.source },
    ...areaColumns<Row>('面积', (r) => r.area),
    { header: '储备库地块', value: (r) => r.parcels?.map((p) => `${p.parcelNo}（${p.stateLabel}）`).join('、') },
    {
      header: '核实越过检查项',
      value: (r) => r.parcels?.filter((p) => p.verificationOverride).map((p) => `${p.parcelNo}：${overrideText(p.verificationOverride)}`).join('；'),
    },
    { header: '说明', value: (r) => r.note },
  ];
  type Sum = { item: string; area: QuotaArea | null; note: string | null };
  const f = a.figures;
  const sums: Sum[] = [
    { item: '本年度可用新增定额', area: f.available, note: '本年度及以前年度县级定额结余' },
    { item: '拟使用本县定额', area: f.plannedCounty, note: null },
    { item: '定额余缺', area: f.surplus, note: f.withinQuota ? '计划在可用定额内' : '拟使用超过可用定额' },
    { item: '拟申请省级统筹', area: f.plannedPool, note: null },
    { item: '核查欠扣（待下次下达抵扣）', area: f.debt, note: null },
    { item: '补充林地：储备库地块', area: f.supplementReserve, note: null },
    { item: '补充林地：拟修复', area: f.supplementRestoration, note: null },
    { item: '编制日期', area: null, note: `${a.arrangedOn}（第${a.version}版，应于${a.dueOn}前${a.late ? '，逾期' : ''}）` },
  ];
  const sumColumns: Column<Sum>[] = [{ header: '项目', value: (r) => r.item }, ...areaColumns<Sum>('面积', (r) => r.area), { header: '说明', value: (r) => r.note }];
  return {
    file: `${a.countyCode}_${a.year}年度使用林地统筹安排`,
    sheets: [sheet({ name: '统筹安排', columns, rows }), sheet({ name: '汇总', columns: sumColumns, rows: sums })],
  };
}

/** Columns of a county's year (reserve, quota, inspections, debt). */
function countyYearColumns<T extends CountyYearT>(first: Column<T>[]): Column<T>[] {
  return [
    ...first,
    { header: '入库地块数', value: (r) => r.reserve.parcels },
    ...areaColumns<T>('本年度储备库', (r) => r.reserve.countyReserve),
    ...areaColumns<T>('其中省级储备库', (r) => r.reserve.provincialReserve),
    ...areaColumns<T>('下达县级定额', (r) => r.quota.issued),
    ...areaColumns<T>('省级统筹调入', (r) => r.quota.allocatedIn),
    ...areaColumns<T>('已使用', (r) => r.quota.drawn),
    ...areaColumns<T>('核查扣减', (r) => r.quota.deducted),
    ...areaColumns<T>('作废', (r) => r.quota.lapsed),
    ...areaColumns<T>('县级结余', (r) => r.quota.balance),
    { header: '核查地块数', value: (r) => r.inspections.total },
    { header: '管护不到位', value: (r) => r.inspections.inadequateCare },
    { header: '林分质量下降', value: (r) => r.inspections.qualityDeclined },
    { header: '退化', value: (r) => r.inspections.degraded },
    { header: '灭失', value: (r) => r.inspections.lost },
    ...areaColumns<T>('核查认定损失', (r) => r.inspections.loss),
    ...areaColumns<T>('未抵扣欠扣', (r) => r.debt),
  ];
}

export function cityReportTables(r: CityReportT): Tables {
  type C = CityReportT['counties'][number];
  const summary = countyYearColumns<C>([
    { header: '县级代码', value: (c) => c.countyCode },
    { header: '年度', value: () => r.year },
    { header: '县级总结上报', value: (c) => (c.summary ? `${c.summary.submittedOn}${c.summary.late ? '（逾期）' : ''}` : c.countyCode === '合计' ? '' : '未上报') },
  ]);
  const arrangement: Column<C>[] = [
    { header: '县级代码', value: (c) => c.countyCode },
    { header: '安排年度', value: () => r.year + 1 },
    { header: '编制日期', value: (c) => (c.countyCode === '合计' ? '' : c.arrangement ? `${c.arrangement.arrangedOn}（第${c.arrangement.version}版）` : '未编制') },
    ...areaColumns<C>('拟使用本县定额', (c) => c.arrangement?.plannedCounty),
    ...areaColumns<C>('拟申请省级统筹', (c) => c.arrangement?.plannedPool),
    ...areaColumns<C>('补充林地', (c) => c.arrangement?.supplement),
  ];
  const totalRow: C = { ...r.total, summary: null, arrangement: { year: r.year + 1, version: 0, arrangedOn: '', ...r.arrangementTotal } };
  return {
    file: `${r.cityCode}_${r.year}年度林地占补平衡试点工作报告`,
    sheets: [
      sheet({ name: '各县年度总结汇总', columns: summary, rows: [...r.counties, totalRow] }),
      sheet({ name: `${r.year + 1}年度统筹安排`, columns: arrangement, rows: [...r.counties, totalRow] }),
    ],
  };
}

export function evaluationTables(e: EvaluationT): Tables {
  type C = EvaluationT['counties'][number];
  const summary = countyYearColumns<C>([
    { header: '设区市代码', value: (c) => c.cityCode },
    { header: '县级代码', value: (c) => c.countyCode },
    { header: '年度', value: () => e.year },
  ]);
  type I = EvaluationT['inspections'][number];
  const inspections: Column<I>[] = [
    { header: '县级代码', value: (n) => n.countyCode },
    { header: '地块编号', value: (n) => n.parcelNo },
    { header: '核查日期', value: (n) => n.inspectedOn },
    { header: '核查结果', value: (n) => n.outcomeLabel },
    { header: '处理', value: (n) => n.effect },
    ...areaColumns<I>('地块面积', (n) => n.area),
    ...areaColumns<I>('受影响面积', (n) => n.affected),
    ...areaColumns<I>('认定损失', (n) => n.loss),
    ...areaColumns<I>('其中欠扣', (n) => n.debt),
    { header: '整改期限', value: (n) => n.rectifyBy },
    { header: '核查情况', value: (n) => n.findings },
    { header: '核实越过检查项', value: (n) => overrideText(n.verificationOverride) },
  ];
  type A = C['audits'][number];
  const audits: Column<A>[] = [
    { header: '县级代码', value: (a) => a.countyCode },
    { header: '储备年度', value: (a) => a.reserveYear },
    { header: '抽查级别', value: (a) => a.levelLabel },
    { header: '报送状态', value: (a) => a.submissionStateLabel },
    ...areaColumns<A>('报送面积', (a) => a.population),
    ...areaColumns<A>('抽查面积', (a) => a.sampled),
    { header: '抽查比例（%）', value: (a) => a.sharePct, numFmt: '0.00' },
    { header: '抽查地块数', value: (a) => a.samples },
    { header: '不合格地块数', value: (a) => a.failed },
    ...areaColumns<A>('不合格面积', (a) => a.failedArea),
    { header: '是否完成', value: (a) => (a.completed ? '是' : '否') },
  ];
  return {
    file: `${e.scope}_${e.year}年度林地占补平衡试点评估报告`,
    sheets: [
      sheet({ name: '评估汇总', columns: summary, rows: [...e.counties, { ...e.total, audits: [] }] }),
      sheet({ name: '核查考评明细', columns: inspections, rows: e.inspections }),
      sheet({ name: '抽查', columns: audits, rows: e.counties.flatMap((c) => c.audits) }),
    ],
  };
}
