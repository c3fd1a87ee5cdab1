-- Eligibility thresholds as a versioned, province-set parameter set (issue 8, item 3), and
-- duplicate uploads recognised only within the uploader's own scope (item 16).

-- ---------------------------------------------------------------- check parameter sets
-- Append-only: a new version supersedes the previous one; nothing is edited or deleted. The set in
-- force is the highest version whose valid_from has passed. Each check run records the version it
-- used; verification relies only on runs made with the version in force (src/procedure/service.ts).
CREATE TABLE candidate.check_parameter_set (
  version     integer PRIMARY KEY CHECK (version > 0),
  parameters  jsonb NOT NULL,
  valid_from  timestamptz NOT NULL,
  set_by      text NOT NULL,      -- login of the province administrator ('system:<role>' for the seed)
  set_by_id   uuid,
  reason      text NOT NULL CHECK (length(btrim(reason)) >= 4),
  created_at  timestamptz NOT NULL
);

-- The thresholds are exactly these nine numbers, none negative, shares at most 1. (The API's
-- narrower bounds are in src/domain/checks/parameters.ts; this is the last line of defence.)
CREATE FUNCTION candidate.valid_check_thresholds(p jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_typeof(p) = 'object'
     AND (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(p) k)
         = ARRAY['boundaryToleranceM2', 'boundaryToleranceShare', 'changeMinShare', 'declaredAreaTolerance', 'duplicateVertexM',
                 'sliverMinAreaM2', 'sliverThinness', 'sourceMinShare', 'spikeAngleDeg']::text[]
     AND (SELECT bool_and(jsonb_typeof(v) = 'number' AND (v::text)::numeric >= 0) FROM jsonb_each(p) e(k, v))
     AND (p ->> 'sourceMinShare')::numeric <= 1
     AND (p ->> 'changeMinShare')::numeric <= 1
$$;
ALTER TABLE candidate.check_parameter_set ADD CONSTRAINT check_parameter_set_valid CHECK (candidate.valid_check_thresholds(parameters));

-- Version, time and author are the database's, not the request's: a version cannot be backdated,
-- numbered out of turn or attributed to someone else.
CREATE FUNCTION candidate.check_parameter_set_stamp() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('candidate.check_parameter_set'));
  SELECT coalesce(max(version), 0) + 1 INTO NEW.version FROM candidate.check_parameter_set;
  NEW.created_at := clock_timestamp();
  NEW.valid_from := NEW.created_at;
  NEW.set_by := coalesce(nullif(current_setting('zhanbu.user_login', true), ''), 'system:' || session_user);
  NEW.set_by_id := nullif(current_setting('zhanbu.user_id', true), '')::uuid;
  RETURN NEW;
END $$;
CREATE TRIGGER check_parameter_set_stamp BEFORE INSERT ON candidate.check_parameter_set
  FOR EACH ROW EXECUTE FUNCTION candidate.check_parameter_set_stamp();
CREATE TRIGGER check_parameter_set_append_only BEFORE UPDATE OR DELETE ON candidate.check_parameter_set
  FOR EACH ROW EXECUTE FUNCTION audit.forbid_change();
CREATE TRIGGER audit_change AFTER INSERT ON candidate.check_parameter_set
  FOR EACH ROW EXECUTE FUNCTION audit.record_change();

-- Version 1: the defaults the service shipped with (DEFAULT_CHECK_PARAMETERS).
INSERT INTO candidate.check_parameter_set (parameters, reason) VALUES (
  '{"boundaryToleranceM2": 1, "boundaryToleranceShare": 0.001, "sourceMinShare": 1, "changeMinShare": 1,
    "declaredAreaTolerance": 0.005, "spikeAngleDeg": 1, "duplicateVertexM": 0.001, "sliverThinness": 0.05, "sliverMinAreaM2": 1}',
  '初始检查参数（系统默认值）');

-- Readable by every user (the thresholds are public rules); written only by a province administrator.
ALTER TABLE candidate.check_parameter_set ENABLE ROW LEVEL SECURITY;
CREATE POLICY read ON candidate.check_parameter_set FOR SELECT TO zhanbu_app
  USING (zhanbu.scope_prefix() IS NOT NULL);
CREATE POLICY publish ON candidate.check_parameter_set FOR INSERT TO zhanbu_app
  WITH CHECK (zhanbu.current_role() = 'province-admin');
GRANT SELECT, INSERT ON candidate.check_parameter_set TO zhanbu_app;
GRANT EXECUTE ON FUNCTION candidate.valid_check_thresholds(jsonb) TO zhanbu_app;

-- Each run names the parameter set it was computed with. Earlier runs that used exactly the
-- defaults are version 1; any other earlier run (thresholds from a request) stays NULL and is
-- never accepted as the basis of a verification.
ALTER TABLE candidate.check_run ADD COLUMN parameter_set_version integer REFERENCES candidate.check_parameter_set (version);
UPDATE candidate.check_run r SET parameter_set_version = 1
  FROM candidate.check_parameter_set s
 WHERE s.version = 1 AND r.parameters @> s.parameters;

-- ---------------------------------------------------------------- duplicate uploads within scope
-- The same file is the same upload only for the same county AND township (a county-level upload
-- has none): a township uploading bytes another township already uploaded gets its own upload.
ALTER TABLE candidate.upload DROP CONSTRAINT upload_county_code_content_sha256_key;
ALTER TABLE candidate.upload ADD CONSTRAINT upload_scope_content_key UNIQUE NULLS NOT DISTINCT (county_code, township_code, content_sha256);
