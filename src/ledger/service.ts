/**
 * Ledgers and reports: the county ledger (台账), the provincial summary, the county's annual summary
 * (due early January), forest-land stock flows (林地保有量) and the audit log. Every figure is a sum
 * of ledger entries or of parcels' areas of record, computed exactly in µ亩 and rounded once for
 * display (src/domain/quota/five-hundred-mu.ts).
 */
import type pg from 'pg';
import { requireCounty, requireRole, PERMISSIONS } from '../auth/plugin.js';
import { withScope, type AuthUser, type Scoped } from '../auth/scope.js';
import { cityOf } from '../domain/procedure/actors.js';
import { annualSummaryDue, isIdleUse, isIsoDate, todayInChina, yearOf } from '../domain/procedure/deadlines.js';
import { RESERVE_STATES, STATES, type State } from '../domain/procedure/state-machine.js';
import { m2ToMicroMu, quotaArea, type MicroMu, type QuotaArea } from '../domain/quota/five-hundred-mu.js';
import type { PilotPeriod } from '../domain/quota/pilot-period.js';
import { Problem } from '../http/problem.js';
import * as procedures from '../procedure/repository.js';
import * as quota from '../quota/repository.js';
import { accountYears, drawView } from '../quota/service.js';

// ---------------------------------------------------------------- reserve by year

interface ReserveYearRow {
  reserve_year: number;
  state: State;
  parcels: number;
  area_m2: string;
}

async function reserveByYear(tx: Scoped, county?: string): Promise<(ReserveYearRow & { county_code: string })[]> {
  const { rows } = await tx.client.query<ReserveYearRow & { county_code: string }>(
    `SELECT county_code, reserve_year, state, count(*)::int AS parcels, sum(area_m2)::text AS area_m2
       FROM procedure.parcel WHERE reserve_year IS NOT NULL AND ($1::text IS NULL OR county_code = $1)
      GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
    [county ?? null],
  );
  return rows;
}

async function issuedReserve(tx: Scoped, county?: string): Promise<{ county_code: string; reserve_year: number; parcels: number; umu: MicroMu }[]> {
  const { rows } = await tx.client.query<{ county_code: string; reserve_year: number; parcels: number; umu: string }>(
    `SELECT i.county_code, i.reserve_year, count(*)::int AS parcels, sum(ip.area_umu)::text AS umu
       FROM quota.issuance_parcel ip JOIN quota.issuance i ON i.id = ip.issuance_id
      WHERE ($1::text IS NULL OR i.county_code = $1) GROUP BY 1, 2`,
    [county ?? null],
  );
  return rows.map((r) => ({ ...r, umu: BigInt(r.umu) }));
}

/** One ledger line: a county's reserve of year N and its quota account for year N+1. */
export interface LedgerLine {
  countyCode: string;
  cityCode: string;
  reserveYear: number;
  quotaYear: number;
  reserveParcels: number;
  countyReserve: QuotaArea; // reserve year N, all reserve states (county reserve up to provincial)
  provincialReserve: QuotaArea; // of which in the provincial reserve
  issuedBasis: QuotaArea; // reserve area the issuances counted
  issued: QuotaArea;
  pooled: QuotaArea;
  allocatedIn: QuotaArea;
  allocatedOut: QuotaArea;
  drawn: QuotaArea;
  deducted: QuotaArea;
  lapsed: QuotaArea;
  balance: QuotaArea;
  poolBalance: QuotaArea;
  overdrawn: boolean;
}

interface Exact {
  reserveParcels: number;
  countyReserve: MicroMu;
  provincialReserve: MicroMu;
  issuedBasis: MicroMu;
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

const emptyExact = (): Exact => ({
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

function addExact(a: Exact, b: Exact): Exact {
  const out = emptyExact();
  for (const k of Object.keys(out) as (keyof Exact)[]) (out as unknown as Record<string, unknown>)[k] = (a[k] as never) + (b[k] as never);
  return out;
}

function line(county: string, quotaYear: number, e: Exact): LedgerLine {
  return {
    countyCode: county,
    cityCode: county === '合计' || county.length !== 6 ? '' : cityOf(county),
    reserveYear: quotaYear - 1,
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

/** Exact figures per county and quota year, from the ledger and the reserve. */
async function exactLines(tx: Scoped, county?: string): Promise<Map<string, Map<number, Exact>>> {
  const out = new Map<string, Map<number, Exact>>();
  const at = (c: string, y: number) => {
    const m = out.get(c) ?? new Map<number, Exact>();
    out.set(c, m);
    const e = m.get(y) ?? emptyExact();
    m.set(y, e);
    return e;
  };
  for (const r of await reserveByYear(tx, county)) {
    if (!(RESERVE_STATES as readonly string[]).includes(r.state)) continue;
    const e = at(r.county_code, r.reserve_year + 1);
    e.reserveParcels += r.parcels;
    e.countyReserve += m2ToMicroMu(r.area_m2);
    if (r.state === 'provincial-reserve') e.provincialReserve += m2ToMicroMu(r.area_m2);
  }
  for (const r of await issuedReserve(tx, county)) at(r.county_code, r.reserve_year + 1).issuedBasis += r.umu;
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

// ---------------------------------------------------------------- county ledger (台账)

export async function countyLedger(pool: pg.Pool, user: AuthUser, pilot: PilotPeriod, county: string) {
  requireCounty(user, county);
  requireRole(user, PERMISSIONS.readQuota, '查看定额台账');
  return withScope(pool, user, async (tx) => {
    const years = (await exactLines(tx, county)).get(county) ?? new Map<number, Exact>();
    const sorted = [...years].sort(([a], [b]) => a - b);
    const total = sorted.reduce((s, [, e]) => addExact(s, e), emptyExact());
    const entries = await quota.entries(tx, county);
    const parcels = await tx.client.query<{
      id: string;
      parcel_no: string;
      township_code: string | null;
      state: State;
      reserve_year: number | null;
      area_m2: string | null;
      issuance_id: string | null;
      batch: number | null;
      quota_year: number | null;
    }>(
      `SELECT p.id, p.parcel_no, p.township_code, p.state, p.reserve_year, p.area_m2::text AS area_m2, ip.issuance_id, i.batch, i.quota_year
         FROM procedure.parcel p
         LEFT JOIN quota.issuance_parcel ip ON ip.parcel_id = p.id
         LEFT JOIN quota.issuance i ON i.id = ip.issuance_id
        WHERE p.county_code = $1 AND p.reserve_year IS NOT NULL
        ORDER BY p.reserve_year, p.parcel_no, p.id`,
      [county],
    );
    return {
      countyCode: county,
      pilotPeriod: pilot,
      generatedAt: new Date().toISOString(),
      rounding: ROUNDING_NOTE,
      lines: sorted.map(([y, e]) => line(county, y, e)),
      total: line(county, 0, total),
      entries: entries.map((e) => ({
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
      parcels: parcels.rows.map((p) => ({
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
      })),
    };
  });
}

export const KIND_LABELS: Record<quota.EntryKind, string> = {
  issued: '下达县级定额',
  pooled: '纳入省级统筹',
  'allocated-in': '省级统筹调入',
  'allocated-out': '省级统筹调出',
  drawn: '建设项目使用',
  deducted: '核查扣减',
  lapsed: '试点期满作废',
};

export const ROUNDING_NOTE =
  '面积以地块椭球面积（0.01平方米）为准，台账按微亩（10⁻⁶亩）整数精确累计；500亩以精确值比较。显示时各数值分别由精确值四舍五入：亩、公顷保留4位小数，平方米保留2位小数，合计先精确求和再取整。';

// ---------------------------------------------------------------- provincial summary

export async function provinceSummary(pool: pg.Pool, user: AuthUser, pilot: PilotPeriod, quotaYear?: number) {
  requireRole(user, PERMISSIONS.readQuota, '查看全省汇总');
  return withScope(pool, user, async (tx) => {
    const all = await exactLines(tx);
    const rows: LedgerLine[] = [];
    const byCity = new Map<string, Exact>();
    let total = emptyExact();
    for (const county of [...all.keys()].sort()) {
      let e = emptyExact();
      for (const [y, x] of all.get(county)!) if (quotaYear === undefined || y === quotaYear) e = addExact(e, x);
      rows.push(line(county, quotaYear ?? 0, e));
      byCity.set(cityOf(county), addExact(byCity.get(cityOf(county)) ?? emptyExact(), e));
      total = addExact(total, e);
    }
    return {
      scope: user.adminCode,
      quotaYear: quotaYear ?? null,
      pilotPeriod: pilot,
      generatedAt: new Date().toISOString(),
      rounding: ROUNDING_NOTE,
      counties: rows,
      cities: [...byCity].sort().map(([c, e]) => ({ ...line(c, quotaYear ?? 0, e), countyCode: '', cityCode: c })),
      total: { ...line('合计', quotaYear ?? 0, total), countyCode: '', cityCode: '' },
    };
  });
}

// ---------------------------------------------------------------- annual summary (due early January)

export async function annualSummary(pool: pg.Pool, user: AuthUser, pilot: PilotPeriod, county: string, year: number) {
  requireCounty(user, county);
  // The county's report (reserve, quota, draws): a township's scope would see a misleading part of it.
  requireRole(user, PERMISSIONS.readReserve, '查看年度试点工作总结');
  return withScope(pool, user, async (tx) => buildAnnualSummary(tx, pilot, county, year));
}

async function buildAnnualSummary(tx: Scoped, pilot: PilotPeriod, county: string, year: number) {
  const actions = await tx.client.query<{ action: string; parcels: number; area_m2: string | null }>(
    `SELECT t.action, count(DISTINCT t.parcel_id)::int AS parcels, sum(p.area_m2)::text AS area_m2
       FROM procedure.transition t JOIN procedure.parcel p ON p.id = t.parcel_id
      WHERE t.county_code = $1 AND extract(year FROM coalesce(t.effective_on, t.at::date)) = $2
      GROUP BY 1 ORDER BY 1`,
    [county, year],
  );
  const states = await tx.client.query<{ state: State; parcels: number; area_m2: string | null }>(
    `SELECT state, count(*)::int AS parcels, sum(area_m2)::text AS area_m2 FROM procedure.parcel WHERE county_code = $1 GROUP BY 1 ORDER BY 1`,
    [county],
  );
  const lines = (await exactLines(tx, county)).get(county) ?? new Map<number, Exact>();
  const ofYear = lines.get(year) ?? emptyExact();
  const nextReserve = lines.get(year + 1) ?? emptyExact();
  const submissions = (await tx.client.query<{ reserve_year: number; submitted_on: string; due_on: string; late: boolean; state: string; parcel_count: number; area_m2: string }>(
    `SELECT reserve_year, submitted_on::text AS submitted_on, due_on::text AS due_on, late, state, parcel_count, area_m2::text AS area_m2
       FROM procedure.reserve_submission WHERE county_code = $1 AND extract(year FROM submitted_on) = $2`,
    [county, year],
  )).rows;
  const inspections = await quota.inspections(tx, { county, year });
  const draws = (await quota.draws(tx, { county })).filter((d) => yearOf(d.approved_on) === year);
  const idle = (await quota.draws(tx, { county })).filter((d) =>
    isIdleUse({ approvedOn: d.approved_on, useStartedOn: d.use_started_on, recoveredOn: d.recovered_on }, `${year}-12-31`),
  );
  const submitted = (await tx.client.query<{ submitted_on: string; due_on: string; late: boolean; submitted_at: Date }>(
    `SELECT submitted_on::text AS submitted_on, due_on::text AS due_on, late, submitted_at FROM quota.annual_summary WHERE county_code = $1 AND year = $2`,
    [county, year],
  )).rows[0];
  const area = (v: string | null) => quotaArea(v === null ? 0n : m2ToMicroMu(v));
  return {
    countyCode: county,
    year,
    dueOn: annualSummaryDue(year),
    submission: submitted ? { submittedOn: submitted.submitted_on, dueOn: submitted.due_on, late: submitted.late, submittedAt: submitted.submitted_at.toISOString() } : null,
    pilotPeriod: pilot,
    procedure: {
      actions: actions.rows.map((a) => ({ action: a.action, parcels: a.parcels, area: area(a.area_m2) })),
      states: states.rows.map((s) => ({ state: s.state, stateLabel: STATES[s.state], parcels: s.parcels, area: area(s.area_m2) })),
    },
    reserve: {
      reserveYear: year,
      parcels: nextReserve.reserveParcels,
      countyReserve: quotaArea(nextReserve.countyReserve),
      provincialReserve: quotaArea(nextReserve.provincialReserve),
      submissions: submissions.map((s) => ({ reserveYear: s.reserve_year, submittedOn: s.submitted_on, dueOn: s.due_on, late: s.late, state: s.state, parcels: s.parcel_count, area: area(s.area_m2) })),
    },
    quota: { ...line(county, year, ofYear) },
    draws: draws.map(drawView),
    inspections: {
      total: inspections.length,
      intact: inspections.filter((i) => i.outcome === 'intact').length,
      degraded: inspections.filter((i) => i.outcome === 'degraded').length,
      lost: inspections.filter((i) => i.outcome === 'lost').length,
      deducted: quotaArea(inspections.filter((i) => i.outcome !== 'intact').reduce((s, i) => s + i.area_umu, 0n)),
    },
    idleUses: idle.map(drawView),
  };
}

export async function submitAnnualSummary(pool: pg.Pool, user: AuthUser, pilot: PilotPeriod, county: string, year: number, input: { submittedOn?: string }) {
  requireCounty(user, county);
  requireRole(user, PERMISSIONS.annualSummary, '上报年度试点工作总结');
  const today = todayInChina();
  const submittedOn = input.submittedOn ?? today;
  if (!isIsoDate(submittedOn) || submittedOn > today) throw new Problem(422, 'request-invalid', 'Invalid date', `上报日期${submittedOn}无效或晚于今天（${today}）`);
  if (submittedOn <= `${year}-12-31`) throw new Problem(422, 'year-not-ended', 'Year not ended', `${year}年度尚未结束，年度总结应在${year + 1}年1月初上报`);
  return withScope(pool, user, async (tx) => {
    const snapshot = await buildAnnualSummary(tx, pilot, county, year);
    const due = annualSummaryDue(year);
    const { rows } = await tx.client.query<{ id: string }>(
      `INSERT INTO quota.annual_summary (county_code, year, submitted_on, due_on, late, snapshot, submitted_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (county_code, year) DO NOTHING RETURNING id`,
      [county, year, submittedOn, due, submittedOn > due, JSON.stringify(snapshot), user.id],
    );
    if (!rows[0]) throw new Problem(409, 'summary-submitted', 'Already submitted', `${county}县${year}年度试点工作总结已上报`);
    return { id: rows[0].id, countyCode: county, year, submittedOn, dueOn: due, late: submittedOn > due, snapshot };
  });
}

// ---------------------------------------------------------------- forest-land stock (林地保有量)

export async function forestStock(pool: pg.Pool, user: AuthUser, county: string) {
  requireCounty(user, county);
  requireRole(user, PERMISSIONS.readReserve, '查看林地保有量');
  return withScope(pool, user, async (tx) => {
    // Added: parcels by reserve year (入库年度); removed: reserve parcels that left it (抽查不合格, 灭失),
    // by the date of that transition.
    const flows = await tx.client.query<{ year: number; added: string | null; removed: string | null }>(
      `SELECT year, sum(added)::text AS added, sum(removed)::text AS removed FROM (
         SELECT p.reserve_year::int AS year, p.area_m2 AS added, NULL::numeric AS removed
           FROM procedure.parcel p WHERE p.county_code = $1 AND p.reserve_year IS NOT NULL
         UNION ALL
         SELECT extract(year FROM coalesce(
                  (SELECT t.effective_on FROM procedure.transition t WHERE t.parcel_id = p.id AND t.to_state = 'removed' ORDER BY t.seq DESC LIMIT 1),
                  p.state_since::date))::int, NULL, p.area_m2
           FROM procedure.parcel p WHERE p.county_code = $1 AND p.reserve_year IS NOT NULL AND p.state = 'removed'
       ) f GROUP BY 1`,
      [county],
    );
    const draws = await quota.draws(tx, { county });
    const years = new Map<number, { added: MicroMu; removed: MicroMu; occupied: MicroMu }>();
    const at = (y: number) => {
      const v = years.get(y) ?? { added: 0n, removed: 0n, occupied: 0n };
      years.set(y, v);
      return v;
    };
    for (const f of flows.rows) {
      at(f.year).added += f.added === null ? 0n : m2ToMicroMu(f.added);
      at(f.year).removed += f.removed === null ? 0n : m2ToMicroMu(f.removed);
    }
    for (const d of draws) at(yearOf(d.approved_on)).occupied += d.area_umu;
    const base = await tx.client.query<{ year: number; m2: string | null }>(
      `SELECT survey_year AS year, sum(tbmj)::text AS m2 FROM survey.dltb
        WHERE county_code = $1 AND survey_year = (SELECT max(survey_year) FROM survey.dltb WHERE county_code = $1)
          AND regexp_replace(upper(dlbm), 'K$', '') ~ '^030[1-7]$'
        GROUP BY 1`,
      [county],
    );
    let cumulative = 0n;
    const rows = [...years].sort(([a], [b]) => a - b).map(([year, v]) => {
      const net = v.added - v.removed - v.occupied;
      cumulative += net;
      return {
        year,
        addedByReserve: quotaArea(v.added),
        removedFromReserve: quotaArea(v.removed),
        occupiedByProjects: quotaArea(v.occupied),
        net: quotaArea(net),
        cumulativeNet: quotaArea(cumulative),
        balanced: cumulative >= 0n,
      };
    });
    const b = base.rows[0];
    return {
      countyCode: county,
      surveyForest: b ? { year: b.year, area: b.m2 === null ? null : quotaArea(m2ToMicroMu(b.m2)), source: '最新年度地类图斑林地（0301–0307）TBMJ合计' } : null,
      years: rows,
      note: '补充林地按储备年度计入（之后抽查不合格或灭失出库的按出库年度扣回），建设项目占用按审核同意日期计入；累计净变化不小于0即林地保有量动态平衡。',
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
      throw new Problem(404, 'procedure-not-found', 'Procedure not found', `未找到补充林地地块办理记录：${f.parcelId}（不存在或不在管辖范围内）`);
    }
    const rows = await procedures.auditEvents(tx, { parcelId: f.parcelId, county: f.county, table: f.table, afterId: f.after, limit: f.limit });
    return {
      items: rows.map((r) => ({
        id: r.id,
        at: r.at.toISOString(),
        actor: { id: r.actor_id, login: r.actor_login, role: r.actor_role },
        countyCode: r.county_code,
        table: r.table_name,
        operation: r.operation,
        rowKey: r.row_key,
        parcelId: r.parcel_id,
        data: r.data,
        previous: r.previous,
      })),
      next: rows.length === f.limit ? rows[rows.length - 1]!.id : null,
    };
  });
}
