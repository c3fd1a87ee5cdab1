/**
 * Ledgers and reports: the county ledger (台账), the provincial summary, the county's annual summary
 * (due early January), forest-land stock flows (林地保有量) and the audit log. Every figure is a sum
 * of ledger entries or of parcels' areas of record, computed exactly in µ亩 here and rounded once
 * for display (view.ts, src/domain/units.ts).
 */
import { notFoundInScope } from '../http/errors.js';
import type pg from 'pg';
import { requireCounty, requireRole, PERMISSIONS } from '../auth/plugin.js';
import { withScope, type AuthUser, type Scoped } from '../auth/scope.js';
import { FOREST_LAND_CODES } from '../domain/land-classes.js';
import { cityOf } from '../domain/procedure/actors.js';
import { annualSummaryDue, isIdleUse, isIsoDate, todayInChina, yearOf } from '../domain/procedure/deadlines.js';
import { RESERVE_STATES } from '../domain/procedure/state-machine.js';
import type { PilotPeriod } from '../domain/quota/pilot-period.js';
import { m2ToMicroMu, type MicroMu } from '../domain/units.js';
import { Problem } from '../http/problem.js';
import * as procedures from '../procedure/repository.js';
import * as quota from '../quota/repository.js';
import { accountYears } from '../quota/service.js';
import * as repo from './repository.js';
import { annualSummaryView } from './view.js';

// ---------------------------------------------------------------- exact figures

/** A county's figures for one quota year (or a sum of them), exact. */
export interface Exact {
  reserveParcels: number;
  countyReserve: MicroMu; // reserve year N, all reserve states (county reserve up to provincial)
  provincialReserve: MicroMu; // of which in the provincial reserve
  issuedBasis: MicroMu; // reserve area the issuances counted
  issued: MicroMu;
  pooled: MicroMu;
  allocatedIn: MicroMu;
  allocatedOut: MicroMu;
  drawn: MicroMu;
  deducted: MicroMu;
  lapsed: MicroMu;
  balance: MicroMu;
  poolBalance: MicroMu;
}

export const emptyExact = (): Exact => ({
  reserveParcels: 0,
  countyReserve: 0n,
  provincialReserve: 0n,
  issuedBasis: 0n,
  issued: 0n,
  pooled: 0n,
  allocatedIn: 0n,
  allocatedOut: 0n,
  drawn: 0n,
  deducted: 0n,
  lapsed: 0n,
  balance: 0n,
  poolBalance: 0n,
});

export function addExact(a: Exact, b: Exact): Exact {
  const out = emptyExact();
  out.reserveParcels = a.reserveParcels + b.reserveParcels;
  for (const k of Object.keys(out) as (keyof Exact)[]) if (k !== 'reserveParcels') out[k] = a[k] + b[k];
  return out;
}

/** Exact figures per county and quota year, from the ledger and the reserve. */
export async function exactLines(tx: Scoped, county?: string): Promise<Map<string, Map<number, Exact>>> {
  const out = new Map<string, Map<number, Exact>>();
  const at = (c: string, y: number) => {
    const m = out.get(c) ?? new Map<number, Exact>();
    out.set(c, m);
    const e = m.get(y) ?? emptyExact();
    m.set(y, e);
    return e;
  };
  for (const r of await repo.reserveByYear(tx, county)) {
    if (!(RESERVE_STATES as readonly string[]).includes(r.state)) continue;
    const e = at(r.county_code, r.reserve_year + 1);
    e.reserveParcels += r.parcels;
    e.countyReserve += m2ToMicroMu(r.area_m2);
    if (r.state === 'provincial-reserve') e.provincialReserve += m2ToMicroMu(r.area_m2);
  }
  for (const r of await repo.issuedReserve(tx, county)) at(r.county_code, r.reserve_year + 1).issuedBasis += r.umu;
  const sums = await quota.sums(tx, { county });
  for (const c of new Set(sums.map((s) => s.county_code))) {
    for (const y of accountYears(sums, c)) {
      const e = at(c, y.quotaYear);
      e.issued = y.county.issued;
      e.allocatedIn = y.county.allocatedIn;
      e.drawn = y.county.drawn;
      e.deducted = y.county.deducted;
      e.lapsed = y.county.lapsed + y.pool.lapsed;
      e.balance = y.county.balance;
      e.pooled = y.pool.pooled;
      e.allocatedOut = y.pool.allocatedOut;
      e.poolBalance = y.pool.balance;
    }
  }
  return out;
}

/** An area of record (m² text, or null for none) as exact µ亩. */
const exactArea = (m2: string | null): MicroMu => (m2 === null ? 0n : m2ToMicroMu(m2));

// ---------------------------------------------------------------- county ledger (台账)

export async function countyLedger(pool: pg.Pool, user: AuthUser, pilot: PilotPeriod, county: string) {
  requireCounty(user, county);
  requireRole(user, PERMISSIONS.readQuota, '查看定额台账');
  return withScope(pool, user, async (tx) => {
    const years = [...((await exactLines(tx, county)).get(county) ?? new Map<number, Exact>())].sort(([a], [b]) => a - b);
    return {
      county,
      pilot,
      years,
      total: years.reduce((s, [, e]) => addExact(s, e), emptyExact()),
      entries: await quota.entries(tx, county),
      parcels: await repo.ledgerParcels(tx, county),
    };
  });
}

// ---------------------------------------------------------------- provincial summary

export async function provinceSummary(pool: pg.Pool, user: AuthUser, pilot: PilotPeriod, quotaYear?: number) {
  requireRole(user, PERMISSIONS.readQuota, '查看全省汇总');
  return withScope(pool, user, (tx) => summaryIn(tx, user, pilot, quotaYear));
}

/** The counties of the summary on a map: each county's outline (XZQ) with its figures. */
export async function countyMap(pool: pg.Pool, user: AuthUser, pilot: PilotPeriod, quotaYear?: number) {
  requireRole(user, PERMISSIONS.readQuota, '查看辖区各县储备与定额地图');
  return withScope(pool, user, async (tx) => ({ summary: await summaryIn(tx, user, pilot, quotaYear), outlines: await repo.countyOutlines(tx) }));
}

async function summaryIn(tx: Scoped, user: AuthUser, pilot: PilotPeriod, quotaYear?: number) {
  const all = await exactLines(tx);
  const counties: [string, Exact][] = [];
  const byCity = new Map<string, Exact>();
  let total = emptyExact();
  for (const county of [...all.keys()].sort()) {
    let e = emptyExact();
    for (const [y, x] of all.get(county)!) if (quotaYear === undefined || y === quotaYear) e = addExact(e, x);
    counties.push([county, e]);
    byCity.set(cityOf(county), addExact(byCity.get(cityOf(county)) ?? emptyExact(), e));
    total = addExact(total, e);
  }
  return { scope: user.adminCode, quotaYear, pilot, counties, cities: [...byCity].sort(), total };
}

// ---------------------------------------------------------------- annual summary (due early January)

export async function annualSummary(pool: pg.Pool, user: AuthUser, pilot: PilotPeriod, county: string, year: number) {
  requireCounty(user, county);
  // The county's report (reserve, quota, draws): a township's scope would see a misleading part of it.
  requireRole(user, PERMISSIONS.readReserve, '查看年度试点工作总结');
  return withScope(pool, user, async (tx) => annualSummaryFigures(tx, pilot, county, year));
}

export type AnnualSummaryFigures = Awaited<ReturnType<typeof annualSummaryFigures>>;

async function annualSummaryFigures(tx: Scoped, pilot: PilotPeriod, county: string, year: number) {
  const lines = (await exactLines(tx, county)).get(county) ?? new Map<number, Exact>();
  const draws = await quota.draws(tx, { county });
  const area = (r: { area_m2: string | null }) => exactArea(r.area_m2);
  return {
    county,
    year,
    pilot,
    submission: await repo.annualSummarySubmission(tx, county, year),
    actions: (await repo.actionsInYear(tx, county, year)).map((a) => ({ ...a, umu: area(a) })),
    states: (await repo.parcelStates(tx, county)).map((s) => ({ ...s, umu: area(s) })),
    ofYear: lines.get(year) ?? emptyExact(),
    // The reserve of year N is counted at quota year N+1.
    nextReserve: lines.get(year + 1) ?? emptyExact(),
    submissions: await submissionsWithFailures(tx, county, year),
    inspections: await quota.inspections(tx, { county, year }),
    draws: draws.filter((d) => yearOf(d.approved_on) === year),
    idleUses: draws.filter((d) => isIdleUse({ approvedOn: d.approved_on, useStartedOn: d.use_started_on, recoveredOn: d.recovered_on }, `${year}-12-31`)),
  };
}

/** The year's reserve submissions; a returned one with its reason and the parcels whose failure returned it. */
async function submissionsWithFailures(tx: Scoped, county: string, year: number) {
  const subs = await repo.reserveSubmissionsInYear(tx, county, year);
  const failed = await repo.failedParcels(tx, subs.map((s) => s.id));
  return subs.map((s) => ({ ...s, umu: exactArea(s.area_m2), failed: failed.filter((f) => f.submission_id === s.id).map((f) => ({ ...f, umu: exactArea(f.area_m2) })) }));
}

export async function submitAnnualSummary(pool: pg.Pool, user: AuthUser, pilot: PilotPeriod, county: string, year: number, input: { submittedOn?: string }) {
  requireCounty(user, county);
  requireRole(user, PERMISSIONS.annualSummary, '上报年度试点工作总结');
  const today = todayInChina();
  const submittedOn = input.submittedOn ?? today;
  if (!isIsoDate(submittedOn) || submittedOn > today) throw new Problem(422, 'request-invalid', 'Invalid date', `上报日期${submittedOn}无效或晚于今天（${today}）`);
  if (submittedOn <= `${year}-12-31`) throw new Problem(422, 'year-not-ended', 'Year not ended', `${year}年度尚未结束，年度总结应在${year + 1}年1月初上报`);
  return withScope(pool, user, async (tx) => {
    // The snapshot is frozen as the report read at submission, in its API form.
    const snapshot = annualSummaryView(await annualSummaryFigures(tx, pilot, county, year));
    const due = annualSummaryDue(year);
    const id = await repo.insertAnnualSummary(tx, { county, year, submittedOn, dueOn: due, late: submittedOn > due, snapshot });
    if (!id) throw new Problem(409, 'summary-submitted', 'Already submitted', `${county}县${year}年度试点工作总结已上报`);
    return { id, countyCode: county, year, submittedOn, dueOn: due, late: submittedOn > due, snapshot };
  });
}

// ---------------------------------------------------------------- forest-land stock (林地保有量)

export interface StockYear {
  year: number;
  added: MicroMu;
  removed: MicroMu;
  occupied: MicroMu;
}

export async function forestStock(pool: pg.Pool, user: AuthUser, county: string) {
  requireCounty(user, county);
  requireRole(user, PERMISSIONS.readReserve, '查看林地保有量');
  return withScope(pool, user, async (tx) => {
    const flows = await repo.forestFlows(tx, county);
    const draws = await quota.draws(tx, { county });
    const years = new Map<number, StockYear>();
    const at = (y: number) => {
      const v = years.get(y) ?? { year: y, added: 0n, removed: 0n, occupied: 0n };
      years.set(y, v);
      return v;
    };
    for (const f of flows) {
      at(f.year).added += exactArea(f.added);
      at(f.year).removed += exactArea(f.removed);
    }
    for (const d of draws) at(yearOf(d.approved_on)).occupied += d.area_umu;
    const base = await repo.surveyForestArea(tx, county, FOREST_LAND_CODES);
    return {
      county,
      years: [...years.values()].sort((a, b) => a.year - b.year),
      surveyForest: base ? { year: base.year, umu: base.m2 === null ? null : m2ToMicroMu(base.m2) } : undefined,
    };
  });
}

// ---------------------------------------------------------------- audit log

export async function auditLog(
  pool: pg.Pool,
  user: AuthUser,
  f: { parcelId?: string; county?: string; table?: string; after?: number; limit: number; parcelMustExist?: boolean },
) {
  return withScope(pool, user, async (tx) => {
    if (f.parcelMustExist && (!f.parcelId || !(await procedures.getProcedure(tx, f.parcelId)))) {
      throw notFoundInScope('补充林地地块办理记录', f.parcelId ?? '', 'procedure-not-found');
    }
    const rows = await procedures.auditEvents(tx, { parcelId: f.parcelId, county: f.county, table: f.table, afterId: f.after, limit: f.limit });
    return { rows, next: rows.length === f.limit ? rows[rows.length - 1]!.id : null };
  });
}
