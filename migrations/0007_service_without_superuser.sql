-- The service stops being a superuser (issue 8, items 2 and 11).
--
-- Until now the service connected as `postgres`: its login owned every table, and GDAL, opened on
-- an upload, connected as a superuser too. From here on:
--   zhanbu_owner    owns the schemas, tables, functions; later migrations run as it (src/db/migrate.ts);
--   zhanbu_service  the service's login: DML on the tables, CREATE in `staging` only, BYPASSRLS for
--                   background work; any DDL it needs goes through the SECURITY DEFINER functions below;
--   zhanbu_app      a user's request, confined by row-level security (unchanged).
-- The roles themselves are cluster-wide and made by migrations/roles.sql (run by a superuser).
--
-- This migration runs as the connecting role (a superuser, or a login that owns what 0001–0006
-- made): it hands everything 0001–0006 created over to zhanbu_owner. On a database built from
-- nothing it finds the same objects in the same state, so both paths are one.

DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'zhanbu_owner')
     OR NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'zhanbu_service') THEN
    RAISE EXCEPTION 'roles zhanbu_owner and zhanbu_service do not exist: run migrations/roles.sql as a superuser first (npm run migrate does so when it connects as one)';
  END IF;
END $$;

-- ---------------------------------------------------------------- where each role may create
DO $$
BEGIN
  IF NOT has_database_privilege('zhanbu_owner', current_database(), 'CREATE') THEN
    EXECUTE format('GRANT CREATE ON DATABASE %I TO zhanbu_owner', current_database());  -- new schemas of later migrations
  END IF;
  IF NOT has_schema_privilege('zhanbu_owner', 'public', 'CREATE') THEN
    GRANT USAGE, CREATE ON SCHEMA public TO zhanbu_owner;  -- public belongs to the database owner and holds PostGIS
  END IF;
  IF has_schema_privilege('public', 'public', 'CREATE') THEN
    REVOKE CREATE ON SCHEMA public FROM PUBLIC;  -- PostgreSQL 15's default, stated for older clusters
  END IF;
END $$;

-- ---------------------------------------------------------------- ownership to zhanbu_owner
-- Everything of ours in these schemas, except PostGIS's own objects (extension members). Scratch
-- tables in `staging` go to the service, which creates, fills and drops them itself.
DO $$
DECLARE
  ours constant text[] := ARRAY['public', 'survey', 'staging', 'candidate', 'zhanbu', 'audit', 'auth', 'procedure', 'quota'];
  r record;
BEGIN
  FOR r IN SELECT nspname FROM pg_namespace
            WHERE nspname = ANY (ours) AND nspname <> 'public' AND nspowner <> 'zhanbu_owner'::regrole LOOP
    EXECUTE format('ALTER SCHEMA %I OWNER TO zhanbu_owner', r.nspname);
  END LOOP;
  GRANT USAGE, CREATE ON SCHEMA staging TO zhanbu_service;

  -- Tables (partitioned parents and every partition) and views; indexes and the sequences of
  -- serial columns follow their table.
  FOR r IN SELECT c.oid::regclass AS rel, CASE WHEN n.nspname = 'staging' THEN 'zhanbu_service' ELSE 'zhanbu_owner' END AS new_owner
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = ANY (ours) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
              AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
              AND c.relowner <> (CASE WHEN n.nspname = 'staging' THEN 'zhanbu_service' ELSE 'zhanbu_owner' END)::regrole LOOP
    EXECUTE format('ALTER TABLE %s OWNER TO %I', r.rel, r.new_owner);
  END LOOP;
  -- Sequences that belong to no column.
  FOR r IN SELECT c.oid::regclass AS rel FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = ANY (ours) AND n.nspname <> 'staging' AND c.relkind = 'S' AND c.relowner <> 'zhanbu_owner'::regrole
              AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('e', 'a', 'i')) LOOP
    EXECUTE format('ALTER SEQUENCE %s OWNER TO zhanbu_owner', r.rel);
  END LOOP;
  FOR r IN SELECT p.oid::regprocedure AS fn, p.prokind FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = ANY (ours) AND p.proowner <> 'zhanbu_owner'::regrole
              AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e') LOOP
    EXECUTE format('ALTER %s %s OWNER TO zhanbu_owner', CASE r.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END, r.fn);
  END LOOP;
END $$;

-- ---------------------------------------------------------------- what the service may do
GRANT USAGE ON SCHEMA public, survey, candidate, zhanbu, audit, auth, procedure, quota TO zhanbu_service;
DO $$
DECLARE
  r record;
BEGIN
  -- Rows of every table (RLS does not stop it: BYPASSRLS); the audit log and the migration record
  -- are read-only to it.
  FOR r IN SELECT c.oid::regclass AS rel, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname IN ('public', 'survey', 'candidate', 'zhanbu', 'audit', 'auth', 'procedure', 'quota')
              AND c.relkind IN ('r', 'p', 'S')
              AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
              AND c.oid NOT IN ('audit.event'::regclass, 'audit.event_id_seq'::regclass)
              AND c.oid IS DISTINCT FROM to_regclass('public.schema_migrations') LOOP
    EXECUTE format(CASE WHEN r.relkind = 'S' THEN 'GRANT USAGE, SELECT ON SEQUENCE %s TO zhanbu_service'
                        ELSE 'GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO zhanbu_service' END, r.rel);
  END LOOP;
  IF to_regclass('public.schema_migrations') IS NOT NULL THEN
    GRANT SELECT ON public.schema_migrations TO zhanbu_service;  -- to see that nothing is pending
  END IF;
END $$;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA zhanbu TO zhanbu_service;

-- Tables, sequences and schemas that later migrations create (as zhanbu_owner) get the same
-- privileges without a GRANT of their own (see migrations/README.md).
ALTER DEFAULT PRIVILEGES FOR ROLE zhanbu_owner GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO zhanbu_service;
ALTER DEFAULT PRIVILEGES FOR ROLE zhanbu_owner GRANT USAGE, SELECT ON SEQUENCES TO zhanbu_service;
ALTER DEFAULT PRIVILEGES FOR ROLE zhanbu_owner GRANT USAGE ON SCHEMAS TO zhanbu_service;

-- ---------------------------------------------------------------- the audit log: written by its trigger only
-- Before: zhanbu_app had INSERT on audit.event (the trigger ran with the caller's rights), so a
-- request could write an event with any time, county and actor. Now nobody but the owner writes
-- it, and the owner's trigger function sets the time (the column default, clock_timestamp()), the
-- actor (the request's scope settings, else 'system:<login>') and the county (from the row).
DROP POLICY IF EXISTS event_write ON audit.event;
REVOKE ALL ON audit.event FROM PUBLIC, zhanbu_app, zhanbu_service;
GRANT SELECT ON audit.event TO zhanbu_app, zhanbu_service;
REVOKE ALL ON SEQUENCE audit.event_id_seq FROM PUBLIC, zhanbu_app, zhanbu_service;

CREATE OR REPLACE FUNCTION audit.record_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  r jsonb := CASE WHEN TG_OP = 'DELETE' THEN to_jsonb(OLD) ELSE to_jsonb(NEW) END;
  o jsonb := CASE WHEN TG_OP = 'UPDATE' THEN to_jsonb(OLD) END;
  changed jsonb;
BEGIN
  -- Only on tables of the log's owner: nobody else can hang this trigger on a table of their own
  -- and have it write events they compose (EXECUTE is revoked too; this holds if it is re-granted).
  IF (SELECT pg_get_userbyid(c.relowner) FROM pg_class c WHERE c.oid = TG_RELID) IS DISTINCT FROM current_user::text THEN
    RAISE EXCEPTION 'audit.record_change() is only for tables owned by %', current_user USING ERRCODE = 'insufficient_privilege';
  END IF;
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
REVOKE EXECUTE ON FUNCTION audit.record_change() FROM PUBLIC;

-- ---------------------------------------------------------------- survey partitions: DDL on the service's behalf
-- An import writes its layer-year into a fresh table and swaps it in as the county-year partition.
-- The service owns nothing in `survey`, so the table is made, analysed and attached by the owner,
-- through these functions. They take no table name: it is built from a validated layer, county,
-- year and the id of an import of exactly that layer-year that is running now.
CREATE FUNCTION survey.layer_year_leaf(p_layer text, p_county text, p_year int, p_import uuid) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF p_layer IS NULL OR p_layer NOT IN ('dltb', 'ldxb', 'xzq') OR p_county IS NULL OR p_county !~ '^[0-9]{6}$'
     OR p_year IS NULL OR p_year NOT BETWEEN 1990 AND 2100 THEN
    RAISE EXCEPTION 'bad layer %, county % or year %', p_layer, p_county, p_year USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF NOT EXISTS (SELECT FROM public.import_job j
                  WHERE j.id = p_import AND j.layer = p_layer AND j.county_code = p_county AND j.survey_year = p_year
                    AND j.state = 'running') THEN
    RAISE EXCEPTION 'no running % import % for county % year %', p_layer, p_import, p_county, p_year USING ERRCODE = 'invalid_parameter_value';
  END IF;
  RETURN format('%s_%s_%s_%s', p_layer, p_county, p_year, left(replace(p_import::text, '-', ''), 8));
END $$;

-- Creates the (empty) table the import fills; returns its qualified name.
CREATE FUNCTION survey.create_layer_year(p_layer text, p_county text, p_year int, p_import uuid) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  leaf text := survey.layer_year_leaf(p_layer, p_county, p_year, p_import);
BEGIN
  EXECUTE format('CREATE TABLE survey.%I (LIKE survey.%I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', leaf, p_layer);
  RETURN format('survey.%I', leaf);   -- the service gets DML on it by the default privileges above
END $$;

-- Analyses the filled table and makes it the layer-year's partition (dropping the one it replaces).
CREATE FUNCTION survey.attach_layer_year(p_layer text, p_county text, p_year int, p_import uuid) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  leaf text := survey.layer_year_leaf(p_layer, p_county, p_year, p_import);
  t regclass := to_regclass(format('survey.%I', leaf));
BEGIN
  IF t IS NULL OR EXISTS (SELECT FROM pg_inherits WHERE inhrelid = t) THEN
    RAISE EXCEPTION 'no unattached table % to attach', leaf USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- A fresh table has no statistics: without them the planner takes it for one row and later
  -- overlays against it pick nested loops over the whole layer.
  EXECUTE format('ANALYZE %s', t);
  PERFORM survey.swap_layer_year(p_layer, p_county, p_year, t);
END $$;

REVOKE EXECUTE ON FUNCTION survey.layer_year_leaf(text, text, int, uuid), survey.create_layer_year(text, text, int, uuid),
  survey.attach_layer_year(text, text, int, uuid), survey.swap_layer_year(text, text, int, regclass),
  survey.ensure_county_partition(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION survey.create_layer_year(text, text, int, uuid), survey.attach_layer_year(text, text, int, uuid) TO zhanbu_service;

-- The functions created above (by the connecting role) belong to the owner as well.
ALTER FUNCTION survey.layer_year_leaf(text, text, int, uuid) OWNER TO zhanbu_owner;
ALTER FUNCTION survey.create_layer_year(text, text, int, uuid) OWNER TO zhanbu_owner;
ALTER FUNCTION survey.attach_layer_year(text, text, int, uuid) OWNER TO zhanbu_owner;
