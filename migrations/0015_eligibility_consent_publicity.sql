-- Issue 10, points 3 and 8: eligible land across change surveys with prior restoration; every rights
-- holder's consent; publicity at both places.
--
-- Jiangxi scheme (seeds/001) §三(二)1 "对第三次全国国土调查及年度国土变更调查中确定的采矿用地实施生态修复",
-- §三(三)1 "对于已经实施生态修复，恢复森林植被的采矿用地，经验收合格后，纳入补充林地储备库":
-- an application may record that the land was restored before it (date, restorer, evidence).
ALTER TABLE procedure.parcel
  ADD COLUMN applied_on date,               -- 申请 date (also in the apply transition); the survey that made the land eligible must be imported before it
  ADD COLUMN prior_restoration jsonb,       -- {restoredOn, restorer: {name, kind, contact?}, documents: [{title, number}]} or null
  -- §三(二)2(3) "在地块所在自然村、村委会所在地进行公示": both places, each with its own period.
  ADD COLUMN publicity_places jsonb;        -- [{kind: 'natural-village' | 'village-committee', name, from, to}]

UPDATE procedure.parcel p SET applied_on = t.effective_on
  FROM procedure.transition t WHERE t.parcel_id = p.id AND t.action = 'apply';

-- §三(二)2(4) "经相关权利人认可后报县级人民政府批准确认": the rights holders of a parcel. The owners
-- (权属单位) come from the ownership check at 核实; the county adds contract and use-right holders
-- (承包经营权人、使用权人) and mining-right holders (采矿权人). Every one must consent before 确认.
CREATE TABLE procedure.rights_holder (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  parcel_id     uuid NOT NULL REFERENCES procedure.parcel (id),
  county_code   char(6) NOT NULL,
  township_code char(9),
  kind          text NOT NULL CHECK (kind IN ('owner', 'contract', 'use', 'mining')),
  holder_code   text NOT NULL CHECK (holder_code <> ''),  -- QSDWDM for owners; certificate / credit code / contract number for the others
  name          text NOT NULL CHECK (name <> ''),
  source        text NOT NULL CHECK (source IN ('ownership-check', 'county')),
  qsxz          text,                                    -- owners: 权属性质 from the survey
  document      jsonb,                                   -- the county's evidence of the right {title, number, …}
  added_by      uuid,                                    -- null: taken from the ownership check at 核实
  added_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
  UNIQUE (parcel_id, kind, holder_code)
);
CREATE INDEX rights_holder_parcel ON procedure.rights_holder (parcel_id);

-- The owners already listed by earlier verifications become rows; their consents point at them.
INSERT INTO procedure.rights_holder (parcel_id, county_code, township_code, kind, holder_code, name, source)
SELECT p.id, p.county_code, p.township_code, 'owner', h->>'qsdwdm', coalesce(nullif(h->>'qsdwmc', ''), h->>'qsdwdm'), 'ownership-check'
  FROM procedure.parcel p CROSS JOIN LATERAL jsonb_array_elements(coalesce(p.rights_holders, '[]')) h
 WHERE coalesce(h->>'qsdwdm', '') <> ''
ON CONFLICT DO NOTHING;

ALTER TABLE procedure.consent
  ADD COLUMN holder_id uuid REFERENCES procedure.rights_holder (id),
  ADD COLUMN right_kind text CHECK (right_kind IN ('owner', 'contract', 'use', 'mining'));
UPDATE procedure.consent c SET holder_id = h.id, right_kind = h.kind
  FROM procedure.rights_holder h WHERE h.parcel_id = c.parcel_id AND h.kind = 'owner' AND h.holder_code = c.qsdwdm;
-- A consent is one holder's: the same code may be an owner and, say, a use-right holder.
ALTER TABLE procedure.consent DROP CONSTRAINT consent_parcel_id_qsdwdm_key;
CREATE UNIQUE INDEX consent_one_per_holder ON procedure.consent (parcel_id, holder_id) WHERE holder_id IS NOT NULL;
CREATE UNIQUE INDEX consent_legacy_one_per_code ON procedure.consent (parcel_id, qsdwdm) WHERE holder_id IS NULL;

ALTER TABLE procedure.rights_holder ENABLE ROW LEVEL SECURITY;
CREATE POLICY scope ON procedure.rights_holder TO zhanbu_app
  USING (zhanbu.in_scope(county_code) AND zhanbu.township_visible(township_code))
  WITH CHECK (zhanbu.in_scope(county_code) AND zhanbu.township_visible(township_code));
-- Only the county forestry bureau adds holders; the owners are written by 核实 from the ownership
-- check (whoever of the county verifies), never by a township.
CREATE POLICY holder_writers ON procedure.rights_holder AS RESTRICTIVE FOR INSERT TO zhanbu_app
  WITH CHECK (zhanbu.current_role() = 'county-forestry' OR (source = 'ownership-check' AND NOT zhanbu.is_township()));
GRANT SELECT, INSERT ON procedure.rights_holder TO zhanbu_app;
CREATE TRIGGER audit_change AFTER INSERT OR UPDATE OR DELETE ON procedure.rights_holder
  FOR EACH ROW EXECUTE FUNCTION audit.record_change();

-- A township reads the audit events of its parcels' rights holders too (0009's list of procedure tables).
DROP POLICY township_events ON audit.event;
CREATE POLICY township_events ON audit.event AS RESTRICTIVE FOR SELECT TO zhanbu_app
  USING (NOT zhanbu.is_township()
         OR (table_name IN ('procedure.parcel', 'procedure.transition', 'procedure.objection', 'procedure.consent', 'procedure.rights_holder')
             AND parcel_id IN (SELECT id FROM procedure.parcel)));
