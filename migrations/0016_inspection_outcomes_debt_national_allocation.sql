-- Issue 10, points 7, 9 and 10.
--
-- Point 7, the annual re-inspection (Jiangxi scheme §三(三)4): "对已纳入补充林地储备库的地块，每年核查一次，
-- 对管护不到位、林分质量下降，甚至退化、灭失的，扣减当年度使用林地指标". Four outcomes besides 'intact',
-- each deducting from the inspection year's quota (src/domain/quota/inspection.ts says what each does
-- to the parcel). A parcel's loss is deducted once: an inspection records the area it found affected
-- and the part of it not deducted before (deducted_umu); the part the year's balance could not
-- cover is a debt (quota.debt), settled by the county's next issuance, so no balance goes negative.
ALTER TABLE quota.inspection DROP CONSTRAINT inspection_outcome_check;
ALTER TABLE quota.inspection ADD CONSTRAINT inspection_outcome_check
  CHECK (outcome IN ('intact', 'inadequate-care', 'quality-declined', 'degraded', 'lost'));
ALTER TABLE quota.inspection
  ADD COLUMN affected_umu bigint,        -- area found affected (µ亩); NULL on rows before this migration
  ADD COLUMN deducted_umu bigint,        -- the parcel's loss first recognised by this inspection (µ亩)
  ADD COLUMN rectify_by  date;           -- 整改期限 for the outcomes that leave the parcel in the reserve
-- Rows before this migration deducted the whole area for every non-intact outcome.
ALTER TABLE quota.inspection DISABLE TRIGGER USER;
UPDATE quota.inspection SET affected_umu = CASE WHEN outcome = 'intact' THEN 0 ELSE area_umu END,
                            deducted_umu = CASE WHEN outcome = 'intact' THEN 0 ELSE area_umu END;
ALTER TABLE quota.inspection ENABLE TRIGGER USER;
ALTER TABLE quota.inspection ALTER COLUMN affected_umu SET NOT NULL, ALTER COLUMN deducted_umu SET NOT NULL,
  ALTER COLUMN affected_umu SET DEFAULT 0, ALTER COLUMN deducted_umu SET DEFAULT 0,
  ADD CONSTRAINT inspection_affected_check CHECK (affected_umu >= 0 AND affected_umu <= area_umu AND deducted_umu >= 0 AND deducted_umu <= affected_umu);

-- What a deduction could not take from the year's balance, owed by the county against its next issuance.
CREATE TABLE quota.debt (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_code    char(6) NOT NULL,
  inspection_id  uuid NOT NULL UNIQUE REFERENCES quota.inspection (id),
  quota_year     smallint NOT NULL,                 -- the year whose balance fell short
  amount_umu     bigint NOT NULL CHECK (amount_umu > 0),
  created_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX debt_county ON quota.debt (county_code);
CREATE TRIGGER debt_append_only BEFORE UPDATE OR DELETE ON quota.debt FOR EACH ROW EXECUTE FUNCTION audit.forbid_change();
-- A settlement is a 'deducted' entry carrying both the debt's inspection and the issuance that pays it.
CREATE INDEX entry_inspection ON quota.entry (inspection_id) WHERE inspection_id IS NOT NULL;

-- No entry that takes quota away may leave its account-year below zero (0011 refused only draws):
-- deductions take what the balance holds and carry the rest as debt; lapse and pool allocations
-- never take more than there is. SQLSTATE ZQ001 as before.
CREATE OR REPLACE FUNCTION quota.apply_entry() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  after bigint;
BEGIN
  INSERT INTO quota.balance AS b (county_code, account, quota_year, balance_umu)
  VALUES (NEW.county_code, NEW.account, NEW.quota_year, NEW.amount_umu)
  ON CONFLICT (county_code, account, quota_year) DO UPDATE SET balance_umu = b.balance_umu + EXCLUDED.balance_umu
  RETURNING b.balance_umu INTO after;
  IF NEW.amount_umu < 0 AND after < 0 THEN
    RAISE EXCEPTION 'quota balance of % (%) for % insufficient', NEW.county_code, NEW.account, NEW.quota_year
      USING ERRCODE = 'ZQ001', DETAIL = (after - NEW.amount_umu)::text;
  END IF;
  NEW.balance_after_umu := after;
  RETURN NEW;
END $$;

-- Point 10: "国家下达新增林地定额后" (§三(三)3) — the national allocation the province's issuance
-- follows: the state's document (number, date), entered by the province administrator. Province-wide,
-- like quota.lapse (county_code NULL for the audit log).
CREATE TABLE quota.national_allocation (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  province_prefix text NOT NULL CHECK (province_prefix ~ '^\d{2}$'),
  quota_year      smallint NOT NULL,
  document_no     text NOT NULL CHECK (length(btrim(document_no)) > 0),
  document_date   date NOT NULL,
  issuer          text NOT NULL,
  amount_umu      bigint CHECK (amount_umu IS NULL OR amount_umu > 0),   -- the state's quota for the province, when the document gives one
  note            text,
  entered_by      uuid NOT NULL,
  entered_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
  county_code     char(6),
  UNIQUE (province_prefix, document_no)
);
CREATE TRIGGER national_allocation_append_only BEFORE UPDATE OR DELETE ON quota.national_allocation FOR EACH ROW EXECUTE FUNCTION audit.forbid_change();
ALTER TABLE quota.issuance ADD COLUMN national_allocation_id uuid REFERENCES quota.national_allocation (id);

-- Point 9: the county's arrangement "对本年度拟使用林地的项目、面积和补充林地作出统筹安排" (000 §五, 001
-- §三(三)5), kept in versions (a plan is revised; every version stays), and the city's report to the
-- province ("设区市林业部门梳理汇总2月初报省级林业部门"), frozen when submitted.
CREATE TABLE quota.annual_arrangement (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_code   char(6) NOT NULL,
  year          smallint NOT NULL,
  version       integer NOT NULL CHECK (version > 0),
  projects      jsonb NOT NULL,
  supplementary jsonb NOT NULL,
  arranged_on   date NOT NULL,
  notes         text,
  arranged_by   uuid NOT NULL,
  arranged_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  UNIQUE (county_code, year, version)
);
CREATE TRIGGER annual_arrangement_append_only BEFORE UPDATE OR DELETE ON quota.annual_arrangement FOR EACH ROW EXECUTE FUNCTION audit.forbid_change();

CREATE TABLE quota.city_report (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_code   char(6) NOT NULL,                  -- the city's code (e.g. 361100): jurisdiction and audit log read it as any code
  year          smallint NOT NULL,
  submitted_on  date NOT NULL,
  due_on        date NOT NULL,
  late          boolean NOT NULL,
  snapshot      jsonb NOT NULL,
  submitted_by  uuid NOT NULL,
  submitted_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  UNIQUE (county_code, year)
);
CREATE TRIGGER city_report_append_only BEFORE UPDATE OR DELETE ON quota.city_report FOR EACH ROW EXECUTE FUNCTION audit.forbid_change();

-- ---------------------------------------------------------------- row-level security, grants, audit
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['quota.debt', 'quota.annual_arrangement', 'quota.city_report'] LOOP
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY scope ON %s TO zhanbu_app USING (zhanbu.in_scope(county_code)) WITH CHECK (zhanbu.in_scope(county_code))', t);
    EXECUTE format('CREATE POLICY township_hidden ON %s AS RESTRICTIVE TO zhanbu_app USING (NOT zhanbu.is_township()) WITH CHECK (NOT zhanbu.is_township())', t);
    EXECUTE format('GRANT SELECT, INSERT ON %s TO zhanbu_app', t);
    EXECUTE format('CREATE TRIGGER audit_change AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW EXECUTE FUNCTION audit.record_change()', t);
  END LOOP;
END $$;
-- Debts are written with the deduction (the inspectors) and read by all above the township.
CREATE POLICY debt_writers ON quota.debt AS RESTRICTIVE FOR INSERT TO zhanbu_app
  WITH CHECK (zhanbu.current_role() IN ('city', 'province-reviewer', 'province-admin'));
CREATE POLICY arrangement_writers ON quota.annual_arrangement AS RESTRICTIVE FOR INSERT TO zhanbu_app
  WITH CHECK (zhanbu.current_role() = 'county-forestry');
CREATE POLICY city_report_writers ON quota.city_report AS RESTRICTIVE FOR INSERT TO zhanbu_app
  WITH CHECK (zhanbu.current_role() = 'city');

ALTER TABLE quota.national_allocation ENABLE ROW LEVEL SECURITY;
CREATE POLICY scope ON quota.national_allocation TO zhanbu_app
  USING (coalesce(starts_with(zhanbu.scope_prefix(), province_prefix), false))
  WITH CHECK (zhanbu.in_scope(province_prefix) AND zhanbu.current_role() = 'province-admin');
CREATE POLICY township_hidden ON quota.national_allocation AS RESTRICTIVE TO zhanbu_app USING (NOT zhanbu.is_township()) WITH CHECK (NOT zhanbu.is_township());
GRANT SELECT, INSERT ON quota.national_allocation TO zhanbu_app;
CREATE TRIGGER audit_change AFTER INSERT ON quota.national_allocation FOR EACH ROW EXECUTE FUNCTION audit.record_change();
