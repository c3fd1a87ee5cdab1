import type { Static } from '@fastify/type-provider-typebox';
import { m2ToMicroMu, quotaArea } from '../domain/units.js';
import type { ProcedureRow } from '../procedure/repository.js';
import { overrideView, reserveParcelView } from '../procedure/view.js';
import type { SubmissionRow, SubmissionState } from './repository.js';
import type { AuditView, CountyReserveView, SubmissionView } from './schemas.js';
import type { AuditWithSamples } from './service.js';

/** A reserve submission's state as a person reads it (its parcels carry the same wording: domain/procedure/state-machine.ts). */
export const SUBMISSION_STATES: Record<SubmissionState, string> = {
  'county-review': '已报送，待县级人民政府审核',
  'city-review': '已报市级审核',
  'province-review': '市级抽查通过，待省级审核',
  'provincial-reserve': '省级储备库',
  returned: '抽查有不合格地块，已退回县级',
};

const area = (m2: string) => ({ ...quotaArea(m2ToMicroMu(m2)) });

export function submissionView(s: SubmissionRow): Static<typeof SubmissionView> {
  return {
    id: s.id,
    countyCode: s.county_code,
    reserveYear: s.reserve_year,
    submittedOn: s.submitted_on,
    dueOn: s.due_on,
    late: s.late,
    lateLabel: s.late ? `逾期（应于${s.due_on}前报送）` : null,
    parcels: s.parcel_count,
    area: area(s.area_m2),
    state: s.state,
    stateLabel: SUBMISSION_STATES[s.state],
    approval: s.approved_at ? { approvedOn: s.approved_on!, approvedAt: s.approved_at.toISOString(), approvedBy: s.approved_by!, approverName: s.approved_name } : null,
    returned: s.returned_at ? { returnedAt: s.returned_at.toISOString(), reason: s.return_reason ?? '' } : null,
    notes: s.notes,
    documents: s.documents,
    createdAt: s.created_at.toISOString(),
    links: { self: `/api/v1/reserve-submissions/${s.id}` },
  };
}

/** An audit with what anyone needs to redraw its sample: seed, algorithm and population. */
export function auditView({ audit: a, samples }: AuditWithSamples): Static<typeof AuditView> {
  return {
    id: a.id,
    submissionId: a.submission_id,
    countyCode: a.county_code,
    level: a.level,
    seed: a.seed,
    algorithm: a.algorithm,
    minSharePct: a.min_share_pct,
    populationArea: area(a.population_m2),
    sampledArea: area(a.sampled_m2),
    sampledShare: Number(a.population_m2) > 0 ? Math.round((Number(a.sampled_m2) / Number(a.population_m2)) * 1e6) / 1e6 : 0,
    population: a.population,
    drawnAt: a.drawn_at.toISOString(),
    completedAt: a.completed_at?.toISOString() ?? null,
    participants: a.participants,
    samples: samples.map((s) => ({
      parcelId: s.parcel_id,
      parcelNo: s.parcel_no,
      drawOrder: s.draw_order,
      area: area(s.area_m2),
      result: s.result,
      reason: s.reason,
      inspectedOn: s.inspected_on,
      notes: s.notes,
      documents: s.documents,
      verificationOverride: overrideView(s.verification_override),
      recordedAt: s.recorded_at?.toISOString() ?? null,
    })),
    links: { self: `/api/v1/audits/${a.id}` },
  };
}

/** The county reserve by reserve year, with each year's parcel count and exact area. */
export function countyReserveView(county: string, parcels: ProcedureRow[]): Static<typeof CountyReserveView> {
  const byYear = new Map<number, ProcedureRow[]>();
  for (const p of parcels) byYear.set(p.reserve_year!, [...(byYear.get(p.reserve_year!) ?? []), p]);
  return {
    countyCode: county,
    years: [...byYear].sort(([a], [b]) => a - b).map(([year, ps]) => ({
      reserveYear: year,
      parcels: ps.length,
      area: quotaArea(ps.reduce((s, p) => s + m2ToMicroMu(p.area_m2!), 0n)),
      items: ps.map(reserveParcelView),
    })),
  };
}
