-- Issue 10 point 4, overrides of failed verification checks (src/domain/procedure/overrides.ts).
-- Jiangxi scheme §三(二)2(2): "由县级人民政府牵头……进行内外业核实，确保补充林地之前土地权属明晰、来源可靠".
-- A failed check other than the source (采矿用地) and double counting (重复申报) may be passed over
-- only with the county government's approval: the approval is recorded on the parcel (audited by
-- the parcel's trigger) and the override the verification used is kept on the parcel, so every
-- listing of the parcel (procedure, reserve, ledger, reserve layer export) can show it.
ALTER TABLE procedure.parcel
  ADD COLUMN override_approval jsonb,       -- the county government's approval awaiting 核实: {checks, reason, documents, approvedBy, approvedOn, approvedAt}
  ADD COLUMN verification_override jsonb;   -- the override 核实 used: the approval plus who verified, when
