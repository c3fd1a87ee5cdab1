-- Issue 10, points 1 and 2: 验收 is a joint field acceptance, 变更 is where the land-class change is
-- verified, and the natural-resources departments act beside forestry.
--
-- Jiangxi scheme §三(二)2: "(6) 验收。经县级林业、自然资源等部门联合验收合格的，县级自然资源主管部门在年度
-- 土地变更调查更新数据库中进行地类变更。(7) 变更。县级林业部门在森林资源管理“一张图”年度更新中将补充林地地块
-- 由非林地变更为林地，并建立县级补充林地储备库。"

-- County, city and province natural-resources departments (自然资源主管部门), with the jurisdiction
-- of the forestry role of the same level (src/domain/procedure/actors.ts).
ALTER TABLE auth.app_user DROP CONSTRAINT app_user_role_check;
ALTER TABLE auth.app_user ADD CONSTRAINT app_user_role_check CHECK (role IN (
  'township', 'county-forestry', 'county-natural-resources', 'county-government',
  'city', 'city-natural-resources', 'province-reviewer', 'province-admin', 'province-natural-resources'));
ALTER TABLE auth.app_user DROP CONSTRAINT app_user_check;
ALTER TABLE auth.app_user ADD CONSTRAINT app_user_check CHECK (CASE role
  WHEN 'township' THEN admin_code ~ '^\d{9}$'
  WHEN 'city' THEN admin_code ~ '^\d{4}00$' AND admin_code !~ '^\d{2}0000$'
  WHEN 'city-natural-resources' THEN admin_code ~ '^\d{4}00$' AND admin_code !~ '^\d{2}0000$'
  WHEN 'province-reviewer' THEN admin_code ~ '^\d{2}0000$'
  WHEN 'province-admin' THEN admin_code ~ '^\d{2}0000$'
  WHEN 'province-natural-resources' THEN admin_code ~ '^\d{2}0000$'
  ELSE admin_code ~ '^\d{6}$' AND admin_code !~ '00$'
END);

-- 变更 in two acts: the natural-resources department's land-class change in the annual change
-- survey (accepted → survey-changed), then forestry's one-map update (survey-changed → changed).
ALTER TABLE procedure.parcel DROP CONSTRAINT parcel_state_check;
ALTER TABLE procedure.parcel ADD CONSTRAINT parcel_state_check CHECK (state IN (
  'applied', 'verified', 'publicized', 'confirmed', 'afforested', 'accepted', 'survey-changed', 'changed',
  'county-reserve', 'city-review', 'province-review', 'provincial-reserve', 'withdrawn', 'rejected', 'removed'));

ALTER TABLE procedure.parcel
  -- The joint acceptance: {acceptedOn, participants {forestry, naturalResources, others?}, measuredAreaM2,
  -- measure {kind: survival|coverage, pct, threshold, source}, documents}. acceptance_run_id stays for
  -- parcels accepted under the old rule (acceptance then required the change survey).
  ADD COLUMN acceptance        jsonb,
  -- The natural-resources department's land-class change in the annual change survey, and the check
  -- run (check h, of change_year) both parts of 变更 relied on.
  ADD COLUMN survey_changed_on date,
  ADD COLUMN change_run_id     uuid REFERENCES candidate.check_run (id);

-- City and province checks: "市级林业、自然资源部门抽查……省级林业、自然资源部门抽查" (§三(三)2): who of each
-- department inspected, recorded when the audit is completed.
ALTER TABLE procedure.audit ADD COLUMN participants jsonb;
