import type { Static } from '@fastify/type-provider-typebox';
import { CHECK_LABELS, type CheckCode } from '../domain/checks/status.js';
import type { AuthUser } from '../auth/scope.js';
import { availableActions, ACTIONS, STATES } from '../domain/procedure/state-machine.js';
import { isRole, ROLE_LABELS } from '../domain/procedure/actors.js';
import { m2ToMicroMu, quotaArea } from '../domain/units.js';
import { PUBLICITY_PLACES } from '../domain/procedure/publicity.js';
import { RIGHT_KINDS } from '../domain/procedure/rights-holders.js';
import type { HolderRow, ProcedureRow, VerificationOverride } from './repository.js';
import type { ProcedureDetailView, ProcedureView, ReserveParcelView, VerificationOverrideView } from './schemas.js';
import type { ProcedureDetail } from './service.js';

/** An area of record (numeric m² text) in the units the rules use; null where none was recorded yet. */
const areaView = (m2: string | null) => (m2 === null ? null : { ...quotaArea(m2ToMicroMu(m2)) });

/** The override 核实 used, as every listing of the parcel shows it (null: none). */
export const overrideView = (o: VerificationOverride | null): Static<typeof VerificationOverrideView> | null =>
  o && { ...o, documents: o.documents.map((d) => ({ ...d })) };

/**
 * The override as one cell of a table a person reads: the checks by their Chinese names, the county
 * government's reason and document numbers ('' for none) — the same wording in every report.
 */
export const overrideText = (o: { checks: string[]; reason: string; documents: { number?: string }[] } | null | undefined): string =>
  o
    ? `${o.checks.map((c) => CHECK_LABELS[c as CheckCode] ?? c).join('、')}（县级人民政府批准：${o.reason}；${o.documents.map((d) => d.number).filter(Boolean).join('、')}）`
    : '';

/** Land restored before the application (§三(三)1) as one cell: date, restorer, document numbers ('' for none). */
export function priorRestorationText(r: { restoredOn: string; restorer: Record<string, unknown>; documents: Record<string, unknown>[] } | null | undefined): string {
  if (!r) return '';
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  return `${r.restoredOn}由${text(r.restorer.name)}修复（${r.documents.map((d) => text(d.number) || text(d.title)).join('、')}）`;
}

function parcelFields(p: ProcedureRow) {
  return {
    id: p.id,
    candidateParcelId: p.candidate_parcel_id,
    uploadId: p.upload_id,
    countyCode: p.county_code,
    townshipCode: p.township_code,
    parcelNo: p.parcel_no,
    applicant: p.applicant,
    state: p.state,
    stateLabel: STATES[p.state],
    stateSince: p.state_since.toISOString(),
    version: p.version,
    areaOfRecord: areaView(p.area_m2),
    verificationRunId: p.verification_run_id,
    rightsHolders: p.rights_holders,
    publicity: p.publicity_from
      ? {
          from: p.publicity_from,
          to: p.publicity_to,
          place: p.publicity_place,
          places: (p.publicity_places ?? []).map((x) => ({ ...x, kindLabel: PUBLICITY_PLACES[x.kind] ?? x.kind })),
        }
      : null,
    appliedOn: p.applied_on,
    priorRestoration: p.prior_restoration && { ...p.prior_restoration, documents: p.prior_restoration.documents.map((d) => ({ ...d })) },
    confirmedOn: p.confirmed_on,
    afforestation: p.afforested_on
      ? { forestClass: p.forest_class, species: p.species, plantedOn: p.afforested_on, area: areaView(p.afforested_area_m2), restorer: p.restorer }
      : null,
    changeYear: p.change_year,
    acceptanceRunId: p.acceptance_run_id,
    acceptedOn: p.accepted_on,
    acceptance: p.acceptance,
    surveyChangedOn: p.survey_changed_on,
    changeRunId: p.change_run_id,
    changedOn: p.changed_on,
    reserveYear: p.reserve_year,
    reservedOn: p.reserved_on,
    submissionId: p.submission_id,
    endReason: p.end_reason,
    verificationOverride: overrideView(p.verification_override),
    overrideApproval: p.override_approval,
    createdAt: p.created_at.toISOString(),
  };
}

const links = (p: ProcedureRow) => ({
  self: `/api/v1/procedures/${p.id}`,
  auditLog: `/api/v1/procedures/${p.id}/audit-log`,
  candidateReport: `/api/v1/candidate-parcels/${p.candidate_parcel_id}/report`,
});

/** Transitions recorded by a migration rather than by an action of the state machine. */
const RECORDED_ACTIONS: Record<string, string> = { 'await-county-approval': '更正状态：报送尚未经县级人民政府审核（迁移0020）' };

/** A recorded action in words (an action of the state machine, or one a migration recorded). */
export const actionLabel = (action: string): string => (ACTIONS as Record<string, { label: string }>)[action]?.label ?? RECORDED_ACTIONS[action] ?? action;

/** The API's view of a parcel's procedure, with the actions this user may take now. */
export function procedureView(p: ProcedureRow, user: AuthUser): Static<typeof ProcedureView> {
  return {
    ...parcelFields(p),
    availableActions: availableActions(p.state, user.role).map((a) => ({ action: a, label: ACTIONS[a].label })),
    links: links(p),
  };
}

/** A parcel as a reserve listing shows it (no actions: the list is the county's, not the reader's). */
export function reserveParcelView(p: ProcedureRow): Static<typeof ReserveParcelView> {
  return { ...parcelFields(p), links: links(p) };
}

/** Who a rights holder is, as both the current and the removed holders show it. */
const holderFields = (h: HolderRow) => ({
  id: h.id,
  kind: h.kind,
  kindLabel: RIGHT_KINDS[h.kind],
  code: h.holder_code,
  name: h.name,
  document: h.document,
});

/** The detail: the procedure, who did what and when on what evidence, objections and consents. */
export function procedureDetailView(d: ProcedureDetail): Static<typeof ProcedureDetailView> {
  const { parcel: p, history, objections, holders, removedHolders, consents, user } = d;
  const consented = (id: string) => consents.some((c) => c.holder_id === id);
  return {
    ...procedureView(p, user),
    consentStatus: holders.map((h) => ({
      qsdwdm: h.holder_code,
      qsdwmc: h.name,
      holderId: h.id,
      rightKind: h.kind,
      rightKindLabel: RIGHT_KINDS[h.kind],
      consented: consented(h.id),
    })),
    holders: holders.map((h) => ({
      ...holderFields(h),
      source: h.source,
      qsxz: h.qsxz,
      consented: consented(h.id),
    })),
    removedHolders: removedHolders.map((h) => ({
      ...holderFields(h),
      removedAt: h.removed_at.toISOString(),
      removedBy: h.removed_by,
      removalReason: h.removal_reason,
    })),
    history: history.map((t) => ({
      seq: t.seq,
      action: t.action,
      actionLabel: actionLabel(t.action),
      from: t.from_state,
      to: t.to_state,
      actor: { id: t.actor_id, login: t.actor_login, name: t.actor_name, role: t.actor_role, roleLabel: isRole(t.actor_role) ? ROLE_LABELS[t.actor_role] : t.actor_role },
      at: t.at.toISOString(),
      effectiveOn: t.effective_on,
      notes: t.notes,
      documents: t.documents,
      evidence: t.evidence,
    })),
    objections: objections.map((o) => ({
      id: o.id,
      receivedOn: o.received_on,
      objector: o.objector,
      content: o.content,
      decision: o.decision,
      decisionReason: o.decision_reason,
      decidedOn: o.decided_on,
    })),
    consents: consents.map((c) => ({
      id: c.id,
      holderId: c.holder_id,
      rightKind: c.right_kind,
      rightKindLabel: c.right_kind && RIGHT_KINDS[c.right_kind],
      qsdwdm: c.qsdwdm,
      qsdwmc: c.qsdwmc,
      signatory: c.signatory,
      consentedOn: c.consented_on,
      document: c.document,
    })),
  };
}
