/**
 * The API's view of the quota ledger: camelCase, every exact amount (µ亩) shown by `quotaArea`
 * (each figure rounded once from the exact value, src/domain/units.ts).
 */
import type { Static } from '@fastify/type-provider-typebox';
import type { PilotPeriod } from '../domain/quota/pilot-period.js';
import { lastValidDay } from '../domain/quota/pilot-period.js';
import { quotaArea, type MicroMu, type QuotaArea } from '../domain/units.js';
import type * as repo from './repository.js';
import type {
  AllocationRound,
  CountyQuotaView,
  DrawViewT,
  IdleUseList,
  InspectionList,
  InspectionMade,
  IssuanceDetail,
  IssuanceViewT,
  LapseMade,
  NationalAllocationView,
  PoolRequestMade,
  PoolView,
} from './schemas.js';
import type * as service from './service.js';
import { STATES } from '../domain/procedure/state-machine.js';
import { overrideView } from '../procedure/view.js';
import { OUTCOME_EFFECTS, OUTCOME_LABELS, type Deduction } from '../domain/quota/inspection.js';

export function issuanceView(i: repo.IssuanceRow): IssuanceViewT {
  return {
    id: i.id,
    countyCode: i.county_code,
    reserveYear: i.reserve_year,
    quotaYear: i.quota_year,
    batch: i.batch,
    parcels: i.parcels,
    reserve: quotaArea(i.reserve_umu),
    toCounty: quotaArea(i.county_umu),
    toPool: quotaArea(i.pooled_umu),
    rule: i.rule,
    issuedOn: i.issued_on,
    issuedAt: i.issued_at.toISOString(),
    nationalAllocation:
      i.national_allocation_id === null ? null : { id: i.national_allocation_id, documentNo: i.national_document_no!, documentDate: i.national_document_date! },
    debtSettled: quotaArea(i.debt_settled_umu),
    links: { self: `/api/v1/quota/issuances/${i.id}` },
  };
}

export function issuanceDetailView(d: { issuance: repo.IssuanceRow; parcels: repo.IssuanceParcelRow[] }): Static<typeof IssuanceDetail> {
  return {
    ...issuanceView(d.issuance),
    parcelItems: d.parcels.map((p) => ({
      parcelId: p.parcel_id,
      parcelNo: p.parcel_no,
      state: p.state,
      stateLabel: STATES[p.state],
      reserveYear: p.reserve_year,
      area: quotaArea(BigInt(p.area_umu)),
      areaM2OfRecord: p.area_m2,
      verificationOverride: overrideView(p.verification_override),
    })),
  };
}

const figures = <K extends string>(r: Record<K, MicroMu>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, quotaArea(v as MicroMu)])) as Record<K, QuotaArea>;

export function countyQuotaView(q: {
  countyCode: string;
  pilot: PilotPeriod;
  lapsed: boolean;
  years: service.AccountYear[];
  balance: MicroMu;
  debt: MicroMu;
}): Static<typeof CountyQuotaView> {
  return {
    countyCode: q.countyCode,
    pilotPeriod: q.pilot,
    lapsed: q.lapsed,
    years: q.years.map((y) => ({
      quotaYear: y.quotaYear,
      reserveYear: y.reserveYear,
      validUntil: lastValidDay(q.pilot),
      county: figures(y.county),
      pool: figures(y.pool),
      overdrawn: y.county.balance < 0n,
    })),
    balance: quotaArea(q.balance),
    debt: quotaArea(q.debt),
  };
}

export function drawView(d: repo.DrawRow): DrawViewT {
  return {
    id: d.id,
    countyCode: d.county_code,
    quotaYear: d.quota_year,
    projectName: d.project_name,
    approvalNo: d.approval_no,
    approvedOn: d.approved_on,
    area: quotaArea(d.area_umu),
    areaAsGiven: d.area_input,
    useStartedOn: d.use_started_on,
    recoveredOn: d.recovered_on,
    recoveryNote: d.recovery_note,
    drawnAt: d.drawn_at.toISOString(),
  };
}

export function idleUsesView(r: { asOf: string; items: repo.DrawRow[] }): Static<typeof IdleUseList> {
  return { asOf: r.asOf, items: r.items.map((d) => ({ ...drawView(d), flag: 'idle-over-two-years' as const, flagLabel: '批准后闲置两年以上，应及时收回' })) };
}

const inspectionBase = (n: repo.InspectionRow) => ({
  id: n.id,
  parcelId: n.parcel_id,
  parcelNo: n.parcel_no,
  countyCode: n.county_code,
  year: n.year,
  inspectedOn: n.inspected_on,
  outcome: n.outcome,
  outcomeLabel: OUTCOME_LABELS[n.outcome],
  effect: OUTCOME_EFFECTS[n.outcome].text,
  findings: n.findings,
  area: quotaArea(n.area_umu),
  affected: quotaArea(n.affected_umu),
  loss: quotaArea(n.deducted_umu),
  debt: quotaArea(n.debt_umu),
  rectifyBy: n.rectify_by,
  verificationOverride: overrideView(n.verification_override),
});

export function inspectionMadeView(r: { inspection: repo.InspectionRow; deduction: Deduction; balance: MicroMu }): Static<typeof InspectionMade> {
  return { ...inspectionBase(r.inspection), deducted: quotaArea(r.deduction.fromBalance), balanceAfter: quotaArea(r.balance), overdrawn: r.balance < 0n };
}

export function inspectionListView(rows: repo.InspectionRow[]): Static<typeof InspectionList> {
  return { items: rows.map(inspectionBase) };
}

export function nationalAllocationView(a: repo.NationalAllocationRow): Static<typeof NationalAllocationView> {
  return {
    id: a.id,
    provincePrefix: a.province_prefix,
    quotaYear: a.quota_year,
    documentNo: a.document_no,
    documentDate: a.document_date,
    issuer: a.issuer,
    area: a.amount_umu === null ? null : quotaArea(a.amount_umu),
    note: a.note,
    enteredAt: a.entered_at.toISOString(),
  };
}

export function poolRequestMadeView(r: repo.PoolRequestRow): Static<typeof PoolRequestMade> {
  return { id: r.id, countyCode: r.county_code, quotaYear: r.quota_year, requested: quotaArea(r.amount_umu), purpose: r.purpose };
}

export function allocationRoundView(r: service.AllocationRoundResult): Static<typeof AllocationRound> {
  return { roundId: r.roundId, quotaYear: r.quotaYear, allocations: r.allocations.map((a) => ({ ...a, amount: quotaArea(a.amount) })) };
}

export function poolView(p: service.PoolState): Static<typeof PoolView> {
  return {
    balances: p.balances.map((b) => ({ originCounty: b.originCounty, quotaYear: b.quotaYear, balance: quotaArea(b.balance) })),
    requests: p.requests.map((r) => ({
      id: r.id,
      countyCode: r.county_code,
      quotaYear: r.quota_year,
      purpose: r.purpose,
      requested: quotaArea(r.amount_umu),
      allocated: quotaArea(r.allocated_umu),
      outstanding: quotaArea(r.amount_umu - r.allocated_umu),
      requestedAt: r.requested_at.toISOString(),
    })),
    allocations: p.allocations.map((a) => ({
      id: a.id,
      roundId: a.round_id,
      quotaYear: a.quota_year,
      countyCode: a.county_code,
      originCounty: a.origin_county,
      requestId: a.request_id,
      tier: a.tier,
      amount: quotaArea(a.amount_umu),
      allocatedAt: a.allocated_at.toISOString(),
    })),
  };
}

export function lapseView(l: service.LapseResult): Static<typeof LapseMade> {
  return { lapseId: l.lapseId, period: l.period, lapsed: l.lapsed.map((x) => ({ ...x, amount: quotaArea(x.amount) })) };
}
