/**
 * The reports the seeds ask for (issue 10, point 9), each a set of exact figures (µ亩) that view.ts
 * shows as JSON and as tables (CSV/XLSX, Chinese headers, m², 亩 and 公顷):
 *
 * - the county's annual arrangement: "对本年度拟使用林地的项目、面积和补充林地作出统筹安排，做到项目计划到位、
 *   台账管理清晰" (000 §五 四是; 001 §三(三)5 "做到计划到位、台账清楚");
 * - the city's report to the province: "设区市林业部门梳理汇总2月初报省级林业部门" (001 §三(三)5) — its
 *   counties' summaries of the year ("每年1月初……报告上年度试点工作总结") and arrangements for the next;
 * - the provincial evaluation report: "省级林业部门要会同有关部门……每年对试点工作情况进行总结评估，形成试点评估
 *   报告报送省政府" (001 §四(三)), with the inspections "省、市将集中组织核查考评" (000) and the audits
 *   "市级……抽查30%的面积……省级……抽查15%的面积进行现场核查" (001 §三(三)2) of the year.
 */
import type pg from 'pg';
import { requireCounty, requireRole, PERMISSIONS } from '../auth/plugin.js';
import { withScope, type AuthUser, type Scoped } from '../auth/scope.js';
import { cityOf } from '../domain/procedure/actors.js';
import { annualArrangementDue, cityReportDue, isIsoDate, todayInChina } from '../domain/procedure/deadlines.js';
import { OUTCOMES, type Outcome } from '../domain/quota/inspection.js';
import { m2ToMicroMu, type MicroMu } from '../domain/units.js';
import { badInput, Problem } from '../http/problem.js';
import { addExact, emptyExact, exactLines, type Exact } from '../ledger/service.js';
import * as quota from '../quota/repository.js';
import { accountYears, parseArea, type AreaInput } from '../quota/service.js';
import * as repo from './repository.js';
import { cityReportView } from './view.js';

const invalid = (detail: string, code: string) => badInput(code, 'Invalid request', detail);

function pastDate(field: string, v: string | undefined, today: string): string {
  const d = v ?? today;
  if (!isIsoDate(d)) throw new Problem(400, 'request-invalid', 'Invalid date', `${field}应为YYYY-MM-DD格式的有效日期，实际为“${d}”`);
  if (d > today) throw invalid(`${field}（${d}）晚于今天（${today}）`, 'date-in-future');
  return d;
}

// ---------------------------------------------------------------- the county's annual arrangement

export interface ArrangementInput {
  arrangedOn?: string;
  notes?: string;
  projects: { name: string; township?: string; area: AreaInput; quotaSource?: 'county' | 'pool'; note?: string }[];
  supplementary: { name: string; kind: 'reserve' | 'restoration'; township?: string; area?: AreaInput; parcelIds?: string[]; note?: string }[];
}

export interface ArrangementFigures {
  county: string;
  year: number;
  dueOn: string;
  arrangement: repo.ArrangementRow;
  /** The county's quota balance usable this year (its accounts of this and earlier quota years). */
  available: MicroMu;
  debt: MicroMu;
  plannedCounty: MicroMu;
  plannedPool: MicroMu;
  supplementReserve: MicroMu;
  supplementRestoration: MicroMu;
  /** The reserve parcels the arrangement names, as they stand now (state, override at 核实). */
  parcels: Map<string, repo.ArrangedParcelRow>;
}

/**
 * Records (a new version of) the county's arrangement for a year. A reserve item names the parcels
 * (of this county, in the reserve) and takes their areas of record; a restoration item gives its area.
 */
export async function arrange(pool: pg.Pool, user: AuthUser, county: string, year: number, input: ArrangementInput): Promise<ArrangementFigures> {
  requireCounty(user, county);
  requireRole(user, PERMISSIONS.annualArrangement, '编制年度使用林地统筹安排');
  const arrangedOn = pastDate('arrangedOn', input.arrangedOn, todayInChina());
  if (input.projects.length === 0 && input.supplementary.length === 0) throw invalid('统筹安排须至少列出一个拟使用林地的项目或一项补充林地', 'arrangement-empty');
  const township = (t: string | undefined, what: string) => {
    if (t !== undefined && !t.startsWith(county)) throw invalid(`${what}的乡镇代码${t}不属于${county}`, 'township-outside-county');
    return t ?? null;
  };
  const projects: repo.ArrangedProject[] = input.projects.map((p, i) => {
    if (!p.name.trim()) throw invalid(`第${i + 1}个项目须填写名称`, 'name-required');
    return {
      name: p.name.trim(),
      townshipCode: township(p.township, `项目“${p.name}”`),
      areaUmu: parseArea(p.area).toString(),
      quotaSource: p.quotaSource ?? 'county',
      note: p.note?.trim() || null,
    };
  });
  return withScope(pool, user, async (tx) => {
    const supplementary: repo.ArrangedSupplement[] = [];
    for (const [i, s] of input.supplementary.entries()) {
      if (!s.name.trim()) throw invalid(`第${i + 1}项补充林地须填写名称`, 'name-required');
      const ids = [...new Set(s.parcelIds ?? [])];
      let area: MicroMu;
      if (s.kind === 'reserve') {
        if (ids.length === 0) throw invalid(`补充林地“${s.name}”为储备库地块，须列出地块（parcelIds）`, 'arrangement-parcels-required');
        if (s.area) throw invalid(`补充林地“${s.name}”的面积取地块的椭球面积，不另填写`, 'arrangement-area-not-applicable');
        const found = await repo.parcelsById(tx, ids);
        const bad = ids.filter((id) => !found.some((p) => p.id === id && p.county_code === county && p.area_m2 !== null));
        if (bad.length) throw invalid(`补充林地“${s.name}”列出的地块不是${county}的地块或没有面积：${bad.join('、')}`, 'arrangement-parcel-invalid');
        area = found.reduce((t, p) => t + m2ToMicroMu(p.area_m2!), 0n);
      } else {
        if (!s.area) throw invalid(`补充林地“${s.name}”（拟修复）须填写面积`, 'area-invalid');
        area = parseArea(s.area);
      }
      supplementary.push({ name: s.name.trim(), kind: s.kind, townshipCode: township(s.township, `补充林地“${s.name}”`), areaUmu: area.toString(), parcelIds: ids, note: s.note?.trim() || null });
    }
    await repo.insertArrangement(tx, { county, year, projects, supplementary, arrangedOn, notes: input.notes?.trim() || null });
    return arrangementFigures(tx, county, year);
  });
}

export async function arrangement(pool: pg.Pool, user: AuthUser, county: string, year: number): Promise<ArrangementFigures> {
  requireCounty(user, county);
  requireRole(user, PERMISSIONS.readReserve, '查看年度使用林地统筹安排');
  return withScope(pool, user, (tx) => arrangementFigures(tx, county, year));
}

async function arrangementFigures(tx: Scoped, county: string, year: number): Promise<ArrangementFigures> {
  const a = (await repo.latestArrangements(tx, year, county))[0];
  if (!a) throw new Problem(404, 'arrangement-not-found', 'Arrangement not found', `${county}尚未编制${year}年度使用林地统筹安排`);
  const sum = <T>(xs: T[], f: (x: T) => boolean, v: (x: T) => string) => xs.filter(f).reduce((t, x) => t + BigInt(v(x)), 0n);
  const years = accountYears(await quota.sums(tx, { county }), county);
  const ids = [...new Set(a.supplementary.flatMap((s) => s.parcelIds))];
  return {
    parcels: new Map((ids.length ? await repo.parcelsById(tx, ids) : []).map((p) => [p.id, p])),
    county,
    year,
    dueOn: annualArrangementDue(year),
    arrangement: a,
    available: years.filter((y) => y.quotaYear <= year).reduce((t, y) => t + y.county.balance, 0n),
    debt: (await quota.debts(tx, { county })).reduce((t, d) => t + d.outstanding_umu, 0n),
    plannedCounty: sum(a.projects, (p) => p.quotaSource === 'county', (p) => p.areaUmu),
    plannedPool: sum(a.projects, (p) => p.quotaSource === 'pool', (p) => p.areaUmu),
    supplementReserve: sum(a.supplementary, (s) => s.kind === 'reserve', (s) => s.areaUmu),
    supplementRestoration: sum(a.supplementary, (s) => s.kind === 'restoration', (s) => s.areaUmu),
  };
}

// ---------------------------------------------------------------- the city's report to the province (2月初)

export type OutcomeCounts = Record<Outcome, number>;
const noOutcomes = (): OutcomeCounts => Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as OutcomeCounts;

export interface CountyYearLine {
  county: string;
  /** The reserve of the year (counted at quota year + 1) and the quota account of the year. */
  reserve: Exact;
  quota: Exact;
  inspections: OutcomeCounts;
  loss: MicroMu;
  debt: MicroMu;
}

export interface CityReportFigures {
  city: string;
  year: number;
  dueOn: string;
  submission: repo.CityReportRow | undefined;
  counties: (CountyYearLine & {
    summary: { submitted_on: string; late: boolean } | undefined;
    arrangement: { version: number; arrangedOn: string; plannedCounty: MicroMu; plannedPool: MicroMu; supplement: MicroMu } | undefined;
  })[];
}

/** Per county in scope (optionally of one city): the reserve of the year, its quota account, inspections and debts. */
async function countyYearLines(tx: Scoped, year: number, city?: string): Promise<CountyYearLine[]> {
  const lines = await exactLines(tx);
  const inspections = await quota.inspections(tx, { year });
  const debts = await repo.outstandingDebts(tx);
  const counties = new Set([...lines.keys(), ...inspections.map((n) => n.county_code), ...debts.keys()]);
  const out: CountyYearLine[] = [];
  for (const county of [...counties].sort()) {
    if (city && cityOf(county) !== city) continue;
    const mine = inspections.filter((n) => n.county_code === county);
    const counts = noOutcomes();
    for (const n of mine) counts[n.outcome] += 1;
    out.push({
      county,
      reserve: lines.get(county)?.get(year + 1) ?? emptyExact(),
      quota: lines.get(county)?.get(year) ?? emptyExact(),
      inspections: counts,
      loss: mine.reduce((t, n) => t + n.deducted_umu, 0n),
      debt: debts.get(county) ?? 0n,
    });
  }
  return out;
}

export function requireCityCode(user: AuthUser, city: string): void {
  if (!/^\d{4}00$/.test(city) || city.endsWith('0000')) throw new Problem(400, 'request-invalid', 'Invalid city code', `设区市代码应为以00结尾的6位代码（如361100），实际为“${city}”`);
  requireCounty(user, city);
}

export async function cityReport(pool: pg.Pool, user: AuthUser, city: string, year: number): Promise<CityReportFigures> {
  requireCityCode(user, city);
  requireRole(user, PERMISSIONS.cityReport, '查看设区市年度试点工作报告');
  return withScope(pool, user, (tx) => cityReportFigures(tx, city, year));
}

async function cityReportFigures(tx: Scoped, city: string, year: number): Promise<CityReportFigures> {
  const summaries = await repo.annualSummaries(tx, year);
  const arrangements = new Map((await repo.latestArrangements(tx, year + 1)).map((a) => [a.county_code, a]));
  const lines = await countyYearLines(tx, year, city);
  for (const c of new Set([...summaries.keys(), ...arrangements.keys()])) {
    if (cityOf(c) === city && !lines.some((l) => l.county === c)) {
      lines.push({ county: c, reserve: emptyExact(), quota: emptyExact(), inspections: noOutcomes(), loss: 0n, debt: 0n });
    }
  }
  lines.sort((a, b) => a.county.localeCompare(b.county));
  const total = (xs: { areaUmu: string }[]) => xs.reduce((t, x) => t + BigInt(x.areaUmu), 0n);
  return {
    city,
    year,
    dueOn: cityReportDue(year),
    submission: await repo.cityReport(tx, city, year),
    counties: lines.map((l) => {
      const a = arrangements.get(l.county);
      return {
        ...l,
        summary: summaries.get(l.county),
        arrangement: a
          ? {
              version: a.version,
              arrangedOn: a.arranged_on,
              plannedCounty: total(a.projects.filter((p) => p.quotaSource === 'county')),
              plannedPool: total(a.projects.filter((p) => p.quotaSource === 'pool')),
              supplement: total(a.supplementary),
            }
          : undefined,
      };
    }),
  };
}

/** The city submits its report of a year to the province; the report is frozen as it read then. */
export async function submitCityReport(pool: pg.Pool, user: AuthUser, city: string, year: number, input: { submittedOn?: string }) {
  requireCityCode(user, city);
  requireRole(user, PERMISSIONS.submitCityReport, '上报设区市年度试点工作报告');
  const submittedOn = pastDate('submittedOn', input.submittedOn, todayInChina());
  if (submittedOn <= `${year}-12-31`) throw new Problem(422, 'year-not-ended', 'Year not ended', `${year}年度尚未结束，设区市报告应在${year + 1}年2月初上报`);
  return withScope(pool, user, async (tx) => {
    const snapshot = cityReportView(await cityReportFigures(tx, city, year));
    const due = cityReportDue(year);
    const id = await repo.insertCityReport(tx, { city, year, submittedOn, dueOn: due, late: submittedOn > due, snapshot });
    if (!id) throw new Problem(409, 'city-report-submitted', 'Already submitted', `${city}${year}年度试点工作报告已上报`);
    return { id, cityCode: city, year, submittedOn, dueOn: due, late: submittedOn > due, snapshot };
  });
}

// ---------------------------------------------------------------- the provincial evaluation report (核查考评)

export interface EvaluationFigures {
  scope: string;
  year: number;
  counties: (CountyYearLine & { audits: repo.AuditRow[] })[];
  inspections: quota.InspectionRow[];
  audits: repo.AuditRow[];
  total: { reserve: Exact; quota: Exact; loss: MicroMu; debt: MicroMu; inspections: OutcomeCounts };
}

/**
 * The year's evaluation: per county the reserve and quota figures, the re-inspections of the year
 * (核查考评) with their outcomes, losses and debts, and the city and province audits of the reserve
 * submitted that year (reserve year − 1, "次年9月15日前").
 */
export async function evaluation(pool: pg.Pool, user: AuthUser, year: number): Promise<EvaluationFigures> {
  requireRole(user, PERMISSIONS.evaluationReport, '查看试点评估报告（核查考评）');
  return withScope(pool, user, async (tx) => {
    const lines = await countyYearLines(tx, year);
    const audits = await repo.auditsOfReserveYear(tx, year - 1);
    for (const c of new Set(audits.map((a) => a.county_code))) {
      if (!lines.some((l) => l.county === c)) lines.push({ county: c, reserve: emptyExact(), quota: emptyExact(), inspections: noOutcomes(), loss: 0n, debt: 0n });
    }
    lines.sort((a, b) => a.county.localeCompare(b.county));
    const counts = noOutcomes();
    for (const l of lines) for (const o of OUTCOMES) counts[o] += l.inspections[o];
    return {
      scope: user.adminCode,
      year,
      counties: lines.map((l) => ({ ...l, audits: audits.filter((a) => a.county_code === l.county) })),
      inspections: await quota.inspections(tx, { year }),
      audits,
      total: {
        reserve: lines.reduce((t, l) => addExact(t, l.reserve), emptyExact()),
        quota: lines.reduce((t, l) => addExact(t, l.quota), emptyExact()),
        loss: lines.reduce((t, l) => t + l.loss, 0n),
        debt: lines.reduce((t, l) => t + l.debt, 0n),
        inspections: counts,
      },
    };
  });
}
