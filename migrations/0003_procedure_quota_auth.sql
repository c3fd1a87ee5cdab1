-- Users and API tokens; jurisdiction by row-level security; the eight-step procedure, the county
-- and provincial reserve with its audits; the quota ledger (500 亩 rule); an append-only audit log.
--
-- Jurisdiction: every request's queries run in a transaction that has done
--   SET LOCAL ROLE zhanbu_app  +  set_config('zhanbu.scope_prefix' | 'zhanbu.township' | 'zhanbu.user_*', …, true)
-- (src/auth/scope.ts). zhanbu_app owns nothing, so the policies below apply to it; the connecting
-- role (the owner) is the "system" context used only by background work (imports, GDAL, checks).
-- An unset scope matches nothing: the policies fail closed.

-- ---------------------------------------------------------------- roles and scope functions
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'zhanbu_app') THEN
    CREATE ROLE zhanbu_app NOLOGIN;
  END IF;
END $$;
-- The service's own login role must be allowed to SET ROLE zhanbu_app (a superuser always is).
DO $$
BEGIN
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    EXECUTE format('GRANT zhanbu_app TO %I', current_user);
  END IF;
END $$;

CREATE SCHEMA zhanbu;
GRANT USAGE ON SCHEMA zhanbu TO zhanbu_app;

-- The administrative-code prefix the request may see: 2 digits (province), 4 (city), 6 (county).
CREATE FUNCTION zhanbu.scope_prefix() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT nullif(current_setting('zhanbu.scope_prefix', true), '') $$;

-- Whether a county (or longer) code is inside the request's jurisdiction. NULL scope: false.
CREATE FUNCTION zhanbu.in_scope(code text) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT coalesce(starts_with(code, nullif(current_setting('zhanbu.scope_prefix', true), '')), false)
$$;

-- Township users see only their township's rows; everyone else: no township restriction.
CREATE FUNCTION zhanbu.township_visible(township text) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT nullif(current_setting('zhanbu.township', true), '') IS NULL
      OR township = current_setting('zhanbu.township', true)
$$;

CREATE FUNCTION zhanbu.current_role() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT nullif(current_setting('zhanbu.user_role', true), '') $$;

GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA zhanbu TO zhanbu_app;

-- ---------------------------------------------------------------- audit log (append-only)
CREATE SCHEMA audit;
GRANT USAGE ON SCHEMA audit TO zhanbu_app;

CREATE TABLE audit.event (
  id          bigserial PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT clock_timestamp(),
  txid        bigint NOT NULL DEFAULT txid_current(),
  actor_id    uuid,                 -- auth.app_user.id; NULL for system work (CLI, migrations)
  actor_login text NOT NULL,
  actor_role  text,
  county_code char(6),
  table_name  text NOT NULL,
  operation   text NOT NULL CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE')),
  row_key     text,
  parcel_id   uuid,                 -- procedure.parcel the change concerns, when it concerns one
  data        jsonb NOT NULL,       -- the row after the change (before, for DELETE)
  previous    jsonb                 -- for UPDATE: the old values of the columns that changed
);
CREATE INDEX event_parcel ON audit.event (parcel_id, id) WHERE parcel_id IS NOT NULL;
CREATE INDEX event_county ON audit.event (county_code, id);
CREATE INDEX event_table ON audit.event (table_name, row_key);

-- Refuses UPDATE and DELETE: used on the log and on every append-only table.
CREATE FUNCTION audit.forbid_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER event_append_only BEFORE UPDATE OR DELETE ON audit.event
  FOR EACH ROW EXECUTE FUNCTION audit.forbid_change();

-- Writes one audit event per changed row, with the actor of the request (or 'system:<role>').
CREATE FUNCTION audit.record_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  r jsonb := CASE WHEN TG_OP = 'DELETE' THEN to_jsonb(OLD) ELSE to_jsonb(NEW) END;
  o jsonb := CASE WHEN TG_OP = 'UPDATE' THEN to_jsonb(OLD) END;
  changed jsonb;
BEGIN
  r := r - 'token_sha256';
  IF o IS NOT NULL THEN
    SELECT jsonb_object_agg(e.key, e.value) INTO changed
      FROM jsonb_each(o - 'token_sha256') e WHERE (r -> e.key) IS DISTINCT FROM e.value;
    IF changed IS NULL THEN RETURN NULL; END IF;   -- nothing actually changed
  END IF;
  INSERT INTO audit.event (actor_id, actor_login, actor_role, county_code, table_name, operation, row_key, parcel_id, data, previous)
  VALUES (nullif(current_setting('zhanbu.user_id', true), '')::uuid,
          coalesce(nullif(current_setting('zhanbu.user_login', true), ''), 'system:' || session_user),
          nullif(current_setting('zhanbu.user_role', true), ''),
          r ->> 'county_code',
          TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME,
          TG_OP,
          coalesce(r ->> 'id', concat_ws('/', r ->> 'audit_id', r ->> 'issuance_id', r ->> 'parcel_id')),
          CASE WHEN TG_TABLE_SCHEMA = 'procedure' AND TG_TABLE_NAME = 'parcel' THEN (r ->> 'id')::uuid
               ELSE (r ->> 'parcel_id')::uuid END,
          r, changed);
  RETURN NULL;
END $$;

ALTER TABLE audit.event ENABLE ROW LEVEL SECURITY;
CREATE POLICY event_read ON audit.event FOR SELECT TO zhanbu_app USING (zhanbu.in_scope(county_code));
CREATE POLICY event_write ON audit.event FOR INSERT TO zhanbu_app WITH CHECK (true);
GRANT SELECT, INSERT ON audit.event TO zhanbu_app;
GRANT USAGE ON SEQUENCE audit.event_id_seq TO zhanbu_app;

-- ---------------------------------------------------------------- users and tokens
CREATE SCHEMA auth;   -- not granted to zhanbu_app: tokens are resolved in the system context

CREATE TABLE auth.app_user (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  login        text NOT NULL UNIQUE CHECK (login ~ '^[A-Za-z0-9._@-]{2,64}$'),
  display_name text NOT NULL,
  role         text NOT NULL CHECK (role IN ('township', 'county-forestry', 'county-government', 'city', 'province-reviewer', 'province-admin')),
  -- GB/T 2260, normalised: province 360000, city 361100, county 361123, township 361123100.
  admin_code   text NOT NULL,
  active       boolean NOT NULL DEFAULT true,
  created_at   timestamptz NOT NULL DEFAULT now(),
  CHECK (CASE role
           WHEN 'township' THEN admin_code ~ '^\d{9}$'
           WHEN 'city' THEN admin_code ~ '^\d{4}00$' AND admin_code !~ '^\d{2}0000$'
           WHEN 'province-reviewer' THEN admin_code ~ '^\d{2}0000$'
           WHEN 'province-admin' THEN admin_code ~ '^\d{2}0000$'
           ELSE admin_code ~ '^\d{6}$' AND admin_code !~ '00$'
         END)
);

CREATE TABLE auth.api_token (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id      uuid NOT NULL REFERENCES auth.app_user (id) ON DELETE CASCADE,
  token_sha256 text NOT NULL UNIQUE CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),  -- the token itself is never stored
  label        text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz,
  revoked_at   timestamptz,
  last_used_at timestamptz
);
CREATE INDEX api_token_user ON auth.api_token (user_id);

CREATE TRIGGER app_user_audit AFTER INSERT OR UPDATE OR DELETE ON auth.app_user FOR EACH ROW EXECUTE FUNCTION audit.record_change();
CREATE TRIGGER api_token_audit AFTER INSERT OR DELETE ON auth.api_token FOR EACH ROW EXECUTE FUNCTION audit.record_change();
CREATE TRIGGER api_token_revoke_audit AFTER UPDATE OF revoked_at, expires_at ON auth.api_token FOR EACH ROW EXECUTE FUNCTION audit.record_change();

-- ---------------------------------------------------------------- jurisdiction on existing tables
GRANT USAGE ON SCHEMA candidate, survey TO zhanbu_app;

ALTER TABLE candidate.upload ENABLE ROW LEVEL SECURITY;
CREATE POLICY upload_scope ON candidate.upload TO zhanbu_app
  USING (zhanbu.in_scope(county_code) AND zhanbu.township_visible(township_code));
ALTER TABLE candidate.parcel ENABLE ROW LEVEL SECURITY;
CREATE POLICY parcel_scope ON candidate.parcel TO zhanbu_app
  USING (zhanbu.in_scope(county_code) AND zhanbu.township_visible(township_code));
-- Runs and results follow the upload / parcel they belong to (those subqueries are themselves scoped).
ALTER TABLE candidate.check_run ENABLE ROW LEVEL SECURITY;
CREATE POLICY check_run_scope ON candidate.check_run TO zhanbu_app
  USING (upload_id IN (SELECT id FROM candidate.upload));
ALTER TABLE candidate.check_result ENABLE ROW LEVEL SECURITY;
CREATE POLICY check_result_scope ON candidate.check_result TO zhanbu_app
  USING (parcel_id IN (SELECT id FROM candidate.parcel));
GRANT SELECT ON candidate.upload, candidate.parcel, candidate.check_run, candidate.check_result TO zhanbu_app;

ALTER TABLE public.import_job ENABLE ROW LEVEL SECURITY;
CREATE POLICY import_job_scope ON public.import_job TO zhanbu_app USING (zhanbu.in_scope(county_code));
ALTER TABLE public.import_reject ENABLE ROW LEVEL SECURITY;
CREATE POLICY import_reject_scope ON public.import_reject TO zhanbu_app USING (import_id IN (SELECT id FROM public.import_job));
ALTER TABLE public.import_repair ENABLE ROW LEVEL SECURITY;
CREATE POLICY import_repair_scope ON public.import_repair TO zhanbu_app USING (import_id IN (SELECT id FROM public.import_job));
GRANT SELECT ON public.import_job, public.import_reject, public.import_repair TO zhanbu_app;

-- Survey layers: read through the partitioned parents only (partitions are not granted).
ALTER TABLE survey.dltb ENABLE ROW LEVEL SECURITY;
CREATE POLICY dltb_scope ON survey.dltb TO zhanbu_app USING (zhanbu.in_scope(county_code));
ALTER TABLE survey.ldxb ENABLE ROW LEVEL SECURITY;
CREATE POLICY ldxb_scope ON survey.ldxb TO zhanbu_app USING (zhanbu.in_scope(county_code));
ALTER TABLE survey.xzq ENABLE ROW LEVEL SECURITY;
CREATE POLICY xzq_scope ON survey.xzq TO zhanbu_app USING (zhanbu.in_scope(county_code));
GRANT SELECT ON survey.dltb, survey.ldxb, survey.xzq TO zhanbu_app;

-- ---------------------------------------------------------------- the procedure
CREATE SCHEMA procedure;
GRANT USAGE ON SCHEMA procedure TO zhanbu_app;

CREATE TABLE procedure.parcel (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  candidate_parcel_id uuid NOT NULL REFERENCES candidate.parcel (id) ON DELETE RESTRICT,
  upload_id           uuid NOT NULL REFERENCES candidate.upload (id) ON DELETE RESTRICT,
  county_code         char(6) NOT NULL CHECK (county_code ~ '^\d{6}$'),
  township_code       char(9),
  parcel_no           text NOT NULL,
  applicant           text,
  state               text NOT NULL CHECK (state IN ('applied', 'verified', 'publicized', 'confirmed', 'afforested', 'accepted',
                        'changed', 'county-reserve', 'city-review', 'province-review', 'provincial-reserve',
                        'withdrawn', 'rejected', 'removed')),
  state_since         timestamptz NOT NULL DEFAULT clock_timestamp(),
  version             integer NOT NULL DEFAULT 1,          -- = the seq of the latest transition
  -- 核实: the check run relied on, the area of record it gave (椭球面积, 0.01 m²) and the rights holders.
  verification_run_id uuid REFERENCES candidate.check_run (id),
  area_m2             numeric(15, 2) CHECK (area_m2 > 0),
  rights_holders      jsonb,
  -- 公示
  publicity_from      date,
  publicity_to        date,
  publicity_place     text,
  -- 确认
  confirmed_on        date,
  -- 造林 (谁修复、谁受益: the restoring party)
  forest_class        text,
  species             text[],
  afforested_on       date,
  afforested_area_m2  numeric(15, 2),
  restorer            jsonb,
  -- 验收 / 变更
  change_year         smallint,
  acceptance_run_id   uuid REFERENCES candidate.check_run (id),
  accepted_on         date,
  changed_on          date,
  -- 入库 and after
  reserve_year        smallint,
  reserved_on         date,
  submission_id       uuid,
  end_reason          text,                                  -- withdrawn / rejected / removed: why
  created_by          uuid NOT NULL,
  created_at          timestamptz NOT NULL DEFAULT clock_timestamp()
);
-- A candidate parcel is in at most one live procedure (a withdrawn or rejected one may be re-applied).
CREATE UNIQUE INDEX parcel_one_live_procedure ON procedure.parcel (candidate_parcel_id)
  WHERE state NOT IN ('withdrawn', 'rejected');
CREATE INDEX procedure_parcel_county ON procedure.parcel (county_code, state);
CREATE INDEX procedure_parcel_reserve ON procedure.parcel (county_code, reserve_year) WHERE reserve_year IS NOT NULL;

CREATE TABLE procedure.transition (
  id            bigserial PRIMARY KEY,
  parcel_id     uuid NOT NULL REFERENCES procedure.parcel (id),
  county_code   char(6) NOT NULL,
  township_code char(9),
  seq           integer NOT NULL,
  action        text NOT NULL,
  from_state    text,
  to_state      text NOT NULL,
  actor_id      uuid NOT NULL,
  actor_login   text NOT NULL,
  actor_name    text,
  actor_role    text NOT NULL,
  at            timestamptz NOT NULL DEFAULT clock_timestamp(),
  effective_on  date,                       -- the date of the act itself (publicity start, planting, acceptance…)
  notes         text,
  documents     jsonb NOT NULL DEFAULT '[]', -- [{title, number?, url?, date?}]
  evidence      jsonb NOT NULL DEFAULT '{}', -- what the guards relied on: check run, statuses, override, inputs
  UNIQUE (parcel_id, seq)
);
CREATE TRIGGER transition_append_only BEFORE UPDATE OR DELETE ON procedure.transition
  FOR EACH ROW EXECUTE FUNCTION audit.forbid_change();

CREATE TABLE procedure.objection (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  parcel_id       uuid NOT NULL REFERENCES procedure.parcel (id),
  county_code     char(6) NOT NULL,
  township_code   char(9),
  received_on     date NOT NULL,
  objector        text NOT NULL,
  content         text NOT NULL,
  recorded_by     uuid NOT NULL,
  recorded_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  decision        text CHECK (decision IN ('upheld', 'dismissed')),
  decision_reason text,
  decided_on      date,
  decided_by      uuid,
  decided_at      timestamptz,
  CHECK ((decision IS NULL) = (decided_by IS NULL))
);
CREATE INDEX objection_parcel ON procedure.objection (parcel_id);

CREATE TABLE procedure.consent (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  parcel_id     uuid NOT NULL REFERENCES procedure.parcel (id),
  county_code   char(6) NOT NULL,
  township_code char(9),
  qsdwdm        text NOT NULL,              -- the rights holder (权属单位代码) as the ownership check listed it
  qsdwmc        text,
  signatory     text NOT NULL,
  consented_on  date NOT NULL,
  document      jsonb NOT NULL,             -- {title, number?, url?}
  recorded_by   uuid NOT NULL,
  recorded_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  UNIQUE (parcel_id, qsdwdm)
);

-- The county's year-N reserve submitted to the city (due 15 September of N+1).
CREATE TABLE procedure.reserve_submission (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_code   char(6) NOT NULL,
  reserve_year  smallint NOT NULL,
  submitted_on  date NOT NULL,
  due_on        date NOT NULL,
  late          boolean NOT NULL,
  parcel_count  integer NOT NULL,
  area_m2       numeric(18, 2) NOT NULL,
  state         text NOT NULL CHECK (state IN ('city-review', 'province-review', 'provincial-reserve')),
  notes         text,
  documents     jsonb NOT NULL DEFAULT '[]',
  submitted_by  uuid NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
  UNIQUE (county_code, reserve_year)
);
ALTER TABLE procedure.parcel ADD CONSTRAINT parcel_submission_fk FOREIGN KEY (submission_id) REFERENCES procedure.reserve_submission (id);

-- A sampling audit (city ≥ 30 % of the area, province ≥ 15 %), reproducible from seed and population.
CREATE TABLE procedure.audit (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  submission_id  uuid NOT NULL REFERENCES procedure.reserve_submission (id),
  county_code    char(6) NOT NULL,
  level          text NOT NULL CHECK (level IN ('city', 'province')),
  seed           text NOT NULL,
  algorithm      text NOT NULL,
  min_share_pct  smallint NOT NULL,
  population     jsonb NOT NULL,            -- [{parcelId, areaM2}] in canonical order, as drawn from
  population_m2  numeric(18, 2) NOT NULL,
  sampled_m2     numeric(18, 2) NOT NULL,
  drawn_by       uuid NOT NULL,
  drawn_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
  completed_by   uuid,
  completed_at   timestamptz,
  UNIQUE (submission_id, level)
);

CREATE TABLE procedure.audit_sample (
  audit_id    uuid NOT NULL REFERENCES procedure.audit (id),
  parcel_id   uuid NOT NULL REFERENCES procedure.parcel (id),
  county_code char(6) NOT NULL,
  draw_order  integer NOT NULL,
  area_m2     numeric(15, 2) NOT NULL,
  result      text CHECK (result IN ('pass', 'fail')),
  reason      text,
  inspected_on date,
  notes       text,
  documents   jsonb NOT NULL DEFAULT '[]',
  recorded_by uuid,
  recorded_at timestamptz,
  PRIMARY KEY (audit_id, parcel_id),
  CHECK (result IS DISTINCT FROM 'fail' OR reason IS NOT NULL)
);

-- ---------------------------------------------------------------- quota (amounts in integer µ亩 = 1e-6 亩, exact)
CREATE SCHEMA quota;
GRANT USAGE ON SCHEMA quota TO zhanbu_app;

-- One issuance run for a county and reserve year: the parcels it counted, and the split.
CREATE TABLE quota.issuance (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_code     char(6) NOT NULL,
  reserve_year    smallint NOT NULL,
  quota_year      smallint NOT NULL CHECK (quota_year = reserve_year + 1),
  batch           integer NOT NULL,              -- 1 for the first issuance of the county-year, then 2, …
  reserve_umu     bigint NOT NULL CHECK (reserve_umu >= 0),   -- cumulative provincial-reserve area of the year
  county_umu      bigint NOT NULL CHECK (county_umu >= 0),    -- this batch's share to the county
  pooled_umu      bigint NOT NULL CHECK (pooled_umu >= 0),    -- this batch's share to the provincial pool
  rule            jsonb NOT NULL,
  issued_on       date NOT NULL,
  issued_by       uuid NOT NULL,
  issued_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
  UNIQUE (county_code, reserve_year, batch)
);
CREATE TABLE quota.issuance_parcel (
  issuance_id uuid NOT NULL REFERENCES quota.issuance (id),
  parcel_id   uuid NOT NULL UNIQUE REFERENCES procedure.parcel (id),  -- a parcel is issued once
  county_code char(6) NOT NULL,
  area_m2     numeric(15, 2) NOT NULL,
  area_umu    bigint NOT NULL CHECK (area_umu = (area_m2 * 100)::bigint * 15),
  PRIMARY KEY (issuance_id, parcel_id)
);

-- Requests for provincial-pool quota, allocated by the province with priority to the origin county, then its city.
CREATE TABLE quota.pool_request (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_code   char(6) NOT NULL,
  quota_year    smallint NOT NULL,
  amount_umu    bigint NOT NULL CHECK (amount_umu > 0),
  purpose       text NOT NULL,
  requested_by  uuid NOT NULL,
  requested_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE TABLE quota.allocation (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  round_id      uuid NOT NULL,
  quota_year    smallint NOT NULL,
  county_code   char(6) NOT NULL,                    -- the receiving county
  origin_county char(6) NOT NULL,                    -- whose pooled quota it is
  request_id    uuid NOT NULL REFERENCES quota.pool_request (id),
  tier          text NOT NULL CHECK (tier IN ('same-county', 'same-city', 'province')),
  amount_umu    bigint NOT NULL CHECK (amount_umu > 0),
  allocated_by  uuid NOT NULL,
  allocated_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Construction projects drawing quota.
CREATE TABLE quota.draw (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_code     char(6) NOT NULL,
  quota_year      smallint NOT NULL,
  project_name    text NOT NULL,
  approval_no     text NOT NULL,
  approved_on     date NOT NULL,
  area_umu        bigint NOT NULL CHECK (area_umu > 0),
  area_input      jsonb NOT NULL,                    -- the figure as given: {unit, value}
  use_started_on  date,                              -- construction started (not idle)
  recovered_on    date,                              -- idle land taken back
  recovery_note   text,
  drawn_by        uuid NOT NULL,
  drawn_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
  UNIQUE (county_code, approval_no)
);

-- Annual re-inspection of reserve parcels.
CREATE TABLE quota.inspection (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  parcel_id     uuid NOT NULL REFERENCES procedure.parcel (id),
  county_code   char(6) NOT NULL,
  year          smallint NOT NULL,
  inspected_on  date NOT NULL,
  outcome       text NOT NULL CHECK (outcome IN ('intact', 'degraded', 'lost')),
  findings      text,
  documents     jsonb NOT NULL DEFAULT '[]',
  area_umu      bigint NOT NULL,
  inspected_by  uuid NOT NULL,
  inspected_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  UNIQUE (parcel_id, year)
);

CREATE TABLE quota.lapse (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  period_start    smallint NOT NULL,
  period_end      smallint NOT NULL,
  province_prefix text NOT NULL,
  executed_by     uuid NOT NULL,
  executed_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  county_code     char(6),                           -- NULL: the whole province (for the audit log)
  UNIQUE (province_prefix, period_end)
);

-- The ledger: every figure is a sum of these entries. Append-only.
CREATE TABLE quota.entry (
  id                  bigserial PRIMARY KEY,
  county_code         char(6) NOT NULL,
  account             text NOT NULL CHECK (account IN ('county', 'pool')),   -- pool: the provincial pool, by origin county
  quota_year          smallint NOT NULL,
  kind                text NOT NULL CHECK (kind IN ('issued', 'pooled', 'allocated-in', 'allocated-out', 'drawn', 'deducted', 'lapsed')),
  amount_umu          bigint NOT NULL,               -- signed µ亩
  reserve_year        smallint,
  issuance_id         uuid REFERENCES quota.issuance (id),
  allocation_id       uuid REFERENCES quota.allocation (id),
  draw_id             uuid REFERENCES quota.draw (id),
  inspection_id       uuid REFERENCES quota.inspection (id),
  lapse_id            uuid REFERENCES quota.lapse (id),
  counterparty_county char(6),
  note                text,
  actor_id            uuid,
  actor_login         text NOT NULL,
  at                  timestamptz NOT NULL DEFAULT clock_timestamp(),
  CHECK (CASE kind
           WHEN 'issued' THEN account = 'county' AND amount_umu >= 0 AND issuance_id IS NOT NULL
           WHEN 'pooled' THEN account = 'pool' AND amount_umu >= 0 AND issuance_id IS NOT NULL
           WHEN 'allocated-in' THEN account = 'county' AND amount_umu > 0 AND allocation_id IS NOT NULL
           WHEN 'allocated-out' THEN account = 'pool' AND amount_umu < 0 AND allocation_id IS NOT NULL
           WHEN 'drawn' THEN account = 'county' AND amount_umu < 0 AND draw_id IS NOT NULL
           WHEN 'deducted' THEN account = 'county' AND amount_umu < 0 AND inspection_id IS NOT NULL
           WHEN 'lapsed' THEN amount_umu <= 0 AND lapse_id IS NOT NULL
         END)
);
CREATE INDEX entry_account ON quota.entry (county_code, account, quota_year);
CREATE TRIGGER entry_append_only BEFORE UPDATE OR DELETE ON quota.entry FOR EACH ROW EXECUTE FUNCTION audit.forbid_change();
CREATE TRIGGER issuance_append_only BEFORE UPDATE OR DELETE ON quota.issuance FOR EACH ROW EXECUTE FUNCTION audit.forbid_change();
CREATE TRIGGER issuance_parcel_append_only BEFORE UPDATE OR DELETE ON quota.issuance_parcel FOR EACH ROW EXECUTE FUNCTION audit.forbid_change();
CREATE TRIGGER allocation_append_only BEFORE UPDATE OR DELETE ON quota.allocation FOR EACH ROW EXECUTE FUNCTION audit.forbid_change();

-- The county's annual summary (due early January of the next year), frozen when submitted.
CREATE TABLE quota.annual_summary (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_code   char(6) NOT NULL,
  year          smallint NOT NULL,
  submitted_on  date NOT NULL,
  due_on        date NOT NULL,
  late          boolean NOT NULL,
  snapshot      jsonb NOT NULL,
  submitted_by  uuid NOT NULL,
  submitted_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  UNIQUE (county_code, year)
);

-- ---------------------------------------------------------------- RLS, grants and audit triggers on the new tables
DO $$
DECLARE
  t text;
  township_tables text[] := ARRAY['procedure.parcel', 'procedure.transition', 'procedure.objection', 'procedure.consent'];
BEGIN
  FOREACH t IN ARRAY ARRAY['procedure.parcel', 'procedure.transition', 'procedure.objection', 'procedure.consent',
                           'procedure.reserve_submission', 'procedure.audit', 'procedure.audit_sample',
                           'quota.issuance', 'quota.issuance_parcel', 'quota.pool_request', 'quota.allocation',
                           'quota.draw', 'quota.inspection', 'quota.entry', 'quota.annual_summary'] LOOP
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
    IF t = ANY (township_tables) THEN
      EXECUTE format('CREATE POLICY scope ON %s TO zhanbu_app USING (zhanbu.in_scope(county_code) AND zhanbu.township_visible(township_code)) WITH CHECK (zhanbu.in_scope(county_code) AND zhanbu.township_visible(township_code))', t);
    ELSE
      EXECUTE format('CREATE POLICY scope ON %s TO zhanbu_app USING (zhanbu.in_scope(county_code)) WITH CHECK (zhanbu.in_scope(county_code))', t);
    END IF;
    EXECUTE format('GRANT SELECT, INSERT ON %s TO zhanbu_app', t);
    EXECUTE format('CREATE TRIGGER audit_change AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW EXECUTE FUNCTION audit.record_change()', t);
  END LOOP;
END $$;
-- Only these change after insertion (state, decisions, results, completion, use of approved land).
GRANT UPDATE ON procedure.parcel, procedure.objection, procedure.reserve_submission, procedure.audit, procedure.audit_sample, quota.draw TO zhanbu_app;

-- The lapse record is province-wide (county_code NULL): visible to everyone in the province, written by its administrator.
ALTER TABLE quota.lapse ENABLE ROW LEVEL SECURITY;
CREATE POLICY scope ON quota.lapse TO zhanbu_app USING (coalesce(starts_with(zhanbu.scope_prefix(), province_prefix), false)) WITH CHECK (zhanbu.in_scope(province_prefix) AND zhanbu.current_role() = 'province-admin');
GRANT SELECT, INSERT ON quota.lapse TO zhanbu_app;
CREATE TRIGGER audit_change AFTER INSERT ON quota.lapse FOR EACH ROW EXECUTE FUNCTION audit.record_change();

-- Who may write ledger entries, whatever the route: restrictive policies on top of jurisdiction.
CREATE POLICY entry_writers ON quota.entry AS RESTRICTIVE FOR INSERT TO zhanbu_app
  WITH CHECK (CASE kind
                WHEN 'drawn' THEN zhanbu.current_role() IN ('county-forestry', 'province-admin')
                WHEN 'deducted' THEN zhanbu.current_role() IN ('county-forestry', 'city', 'province-reviewer', 'province-admin')
                ELSE zhanbu.current_role() = 'province-admin'
              END);
CREATE POLICY issuance_writers ON quota.issuance AS RESTRICTIVE FOR INSERT TO zhanbu_app
  WITH CHECK (zhanbu.current_role() = 'province-admin');
CREATE POLICY allocation_writers ON quota.allocation AS RESTRICTIVE FOR INSERT TO zhanbu_app
  WITH CHECK (zhanbu.current_role() = 'province-admin');
-- Township users never see the reserve beyond their parcels, nor quota.
CREATE POLICY no_township ON quota.entry AS RESTRICTIVE TO zhanbu_app USING (zhanbu.current_role() IS DISTINCT FROM 'township');

GRANT USAGE ON ALL SEQUENCES IN SCHEMA procedure, quota TO zhanbu_app;
