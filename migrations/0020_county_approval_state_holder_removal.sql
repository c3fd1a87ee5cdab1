-- Issue 10, loose ends.
--
-- 1. A filed reserve submission waits for the county government: "经县（市、区）政府审核后，由县（市、区）
--    林业主管部门于次年9月15日前报市级林业部门审核汇总" (Jiangxi scheme §三(三)2). Its parcels were put in
--    'city-review' (已报市级审核) when filed; until the approval they are 'county-review'
--    (已报送，待县级人民政府审核), and the approval moves them on (action 'approve-submission').
ALTER TABLE procedure.parcel DROP CONSTRAINT parcel_state_check;
ALTER TABLE procedure.parcel ADD CONSTRAINT parcel_state_check CHECK (state IN (
  'applied', 'verified', 'publicized', 'confirmed', 'afforested', 'accepted', 'survey-changed', 'changed',
  'county-reserve', 'county-review', 'city-review', 'province-review', 'provincial-reserve', 'withdrawn', 'rejected', 'removed'));

-- Parcels of submissions filed and not yet approved: corrected with a transition of their own (the
-- history stays append-only and says who changed the state: this migration).
WITH waiting AS (
  SELECT p.id, p.county_code, p.township_code, p.version
    FROM procedure.parcel p JOIN procedure.reserve_submission s ON s.id = p.submission_id
   WHERE p.state = 'city-review' AND s.state = 'county-review'
), moved AS (
  UPDATE procedure.parcel p SET state = 'county-review', state_since = clock_timestamp(), version = p.version + 1
    FROM waiting w WHERE p.id = w.id
  RETURNING p.id
)
INSERT INTO procedure.transition (parcel_id, county_code, township_code, seq, action, from_state, to_state,
                                  actor_id, actor_login, actor_name, actor_role, effective_on, evidence)
SELECT w.id, w.county_code, w.township_code, w.version + 1, 'await-county-approval', 'city-review', 'county-review',
       '00000000-0000-0000-0000-000000000000', 'system:migration-0020', NULL, 'system', NULL,
       '{"migration": "0020", "reason": "报送尚未经县级人民政府审核：地块状态由“已报市级审核”更正为“待县级人民政府审核”"}'
  FROM waiting w JOIN moved m ON m.id = w.id;

-- 5. A rights holder the county added in error can be removed before 确认, with a reason. The row
--    stays (removed_at, who, why) and the audit trigger records the change; owners from the
--    ownership check cannot be removed. A removed holder may be added again (correctly).
ALTER TABLE procedure.rights_holder
  ADD COLUMN removed_at     timestamptz,
  ADD COLUMN removed_by     uuid,
  ADD COLUMN removal_reason text,
  ADD CONSTRAINT rights_holder_removal CHECK ((removed_at IS NULL) = (removal_reason IS NULL) AND (removed_at IS NULL OR source = 'county'));
ALTER TABLE procedure.rights_holder DROP CONSTRAINT rights_holder_parcel_id_kind_holder_code_key;
CREATE UNIQUE INDEX rights_holder_one_live ON procedure.rights_holder (parcel_id, kind, holder_code) WHERE removed_at IS NULL;

-- Only the county forestry bureau removes, and only what the county added.
GRANT UPDATE (removed_at, removed_by, removal_reason) ON procedure.rights_holder TO zhanbu_app;
CREATE POLICY holder_removers ON procedure.rights_holder AS RESTRICTIVE FOR UPDATE TO zhanbu_app
  USING (zhanbu.current_role() = 'county-forestry' AND source = 'county')
  WITH CHECK (zhanbu.current_role() = 'county-forestry' AND source = 'county');
