-- Foundation: PostGIS, import jobs, and the survey layers (三调 DLTB, forest one-map 小班, XZQ).
CREATE EXTENSION IF NOT EXISTS postgis;

CREATE SCHEMA IF NOT EXISTS survey;   -- imported survey layers, partitioned by county then year
CREATE SCHEMA IF NOT EXISTS staging;  -- per-import scratch tables; never read by the API

-- One row per import attempt. Exactly one succeeded, not superseded import is "the" layer for a
-- county and year: that is the layer version the rest of the system reads.
CREATE TABLE public.import_job (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  layer           text NOT NULL CHECK (layer IN ('dltb', 'ldxb', 'xzq')),
  county_code     char(6) NOT NULL CHECK (county_code ~ '^\d{6}$'),
  survey_year     smallint NOT NULL CHECK (survey_year BETWEEN 1990 AND 2100),
  source_name     text NOT NULL,
  source_format   text,
  source_layer    text,
  source_bytes    bigint,
  content_sha256  text NOT NULL CHECK (content_sha256 ~ '^[0-9a-f]{64}$'),
  options         jsonb NOT NULL DEFAULT '{}',
  state           text NOT NULL DEFAULT 'queued'
                  CHECK (state IN ('queued', 'running', 'succeeded', 'refused', 'failed')),
  phase           text,
  progress        real NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 1),
  crs             jsonb,          -- {epsg, zone, zonePrefixed, inferred, label}
  encoding        jsonb,          -- {encoding, source: parameter|cpg|ldid|detected|intrinsic}
  feature_count   integer,
  imported_count  integer,
  rejected_count  integer,
  repaired_count  integer,
  repaired_area_change_m2 numeric(18, 2),
  timings_ms      jsonb,          -- wall time per phase: {loading, validating, writing}
  error           jsonb,          -- RFC 9457 problem when refused or failed
  replaces        uuid REFERENCES public.import_job (id),
  superseded_by   uuid REFERENCES public.import_job (id),
  partition_table text,           -- the leaf table holding this import's rows while it is current
  requested_by    text,
  worker_id       text,           -- the process running it; holds an advisory lock while alive
  created_at      timestamptz NOT NULL DEFAULT now(),
  started_at      timestamptz,
  finished_at     timestamptz
);
CREATE UNIQUE INDEX import_job_current
  ON public.import_job (layer, county_code, survey_year)
  WHERE state = 'succeeded' AND superseded_by IS NULL;
CREATE INDEX import_job_by_hash ON public.import_job (content_sha256);
CREATE INDEX import_job_by_county ON public.import_job (county_code, layer, survey_year);

-- Features an import refused, with every reason (kept even when the whole import is refused).
CREATE TABLE public.import_reject (
  import_id uuid NOT NULL REFERENCES public.import_job (id) ON DELETE CASCADE,
  fid       bigint NOT NULL,
  bsm       text,
  reasons   jsonb NOT NULL,       -- [{code, field?, value?, message}]
  PRIMARY KEY (import_id, fid)
);

-- Invalid geometries repaired on request, with the area change each repair caused.
CREATE TABLE public.import_repair (
  import_id      uuid NOT NULL REFERENCES public.import_job (id) ON DELETE CASCADE,
  fid            bigint NOT NULL,
  bsm            text,
  reason         text NOT NULL,     -- what GEOS said was wrong
  area_before_m2 numeric(18, 2),
  area_after_m2  numeric(18, 2),
  PRIMARY KEY (import_id, fid)
);

-- 三调 地类图斑. Standard fields under their standard names; anything else the file carries in extra.
CREATE TABLE survey.dltb (
  county_code char(6)  NOT NULL,
  survey_year smallint NOT NULL,
  import_id   uuid     NOT NULL,
  fid         bigint   NOT NULL,   -- feature id in the source file
  bsm text, ysdm text, tbybh text, tbbh text,
  dlbm text NOT NULL, dlmc text,
  qsxz text, qsdwdm text, qsdwmc text, zldwdm text, zldwmc text,
  tbmj numeric(15, 2), kcdlbm text, kcxs numeric(10, 4), kcmj numeric(15, 2), tbdlmj numeric(15, 2),
  gdlx text, gdpdjb text, xzdwkd numeric(10, 2), tbxhdm text, tbxhmc text, zzsxdm text, zzsxmc text,
  gddb text, frdbs text, czcsxm text, sjnf integer, mssm text, hdmc text, bz text,
  extra  jsonb,
  geom   geometry(MultiPolygon, 4490) NOT NULL,
  PRIMARY KEY (county_code, survey_year, fid)
) PARTITION BY LIST (county_code);
CREATE INDEX dltb_geom ON survey.dltb USING gist (geom);
CREATE INDEX dltb_dlbm ON survey.dltb (county_code, survey_year, dlbm);

-- 森林资源管理一张图 小班. DI_LEI keeps whatever code list the file uses (三调 codes or older labels).
CREATE TABLE survey.ldxb (
  county_code char(6)  NOT NULL,
  survey_year smallint NOT NULL,
  import_id   uuid     NOT NULL,
  fid         bigint   NOT NULL,
  sheng text, xian text, xiang text, cun text, lin_ban text, xiao_ban text,
  di_lei text, ld_qs text, sen_lin_lb text, bh_dj text, mian_ji numeric(14, 4),
  extra  jsonb,
  geom   geometry(MultiPolygon, 4490) NOT NULL,
  PRIMARY KEY (county_code, survey_year, fid)
) PARTITION BY LIST (county_code);
CREATE INDEX ldxb_geom ON survey.ldxb USING gist (geom);

-- 行政区: county (6-digit XZQDM), township (9) or village (12) boundaries.
CREATE TABLE survey.xzq (
  county_code char(6)  NOT NULL,
  survey_year smallint NOT NULL,
  import_id   uuid     NOT NULL,
  fid         bigint   NOT NULL,
  bsm text, ysdm text, xzqdm text NOT NULL, xzqmc text,
  level text NOT NULL CHECK (level IN ('county', 'township', 'village')),
  dcmj numeric(18, 2), jsmj numeric(18, 2), mssm text, hdmc text, bz text,
  extra  jsonb,
  geom   geometry(MultiPolygon, 4490) NOT NULL,
  PRIMARY KEY (county_code, survey_year, fid)
) PARTITION BY LIST (county_code);
CREATE INDEX xzq_geom ON survey.xzq USING gist (geom);
CREATE INDEX xzq_code ON survey.xzq (xzqdm);

-- The county's sub-partitioned table for a layer (created on its first import).
CREATE FUNCTION survey.ensure_county_partition(p_layer text, p_county text) RETURNS regclass
LANGUAGE plpgsql AS $$
DECLARE
  t text := format('%s_%s', p_layer, p_county);
BEGIN
  IF p_layer NOT IN ('dltb', 'ldxb', 'xzq') OR p_county !~ '^\d{6}$' THEN
    RAISE EXCEPTION 'bad layer % or county %', p_layer, p_county;
  END IF;
  IF to_regclass(format('survey.%I', t)) IS NULL THEN
    EXECUTE format('CREATE TABLE survey.%I PARTITION OF survey.%I FOR VALUES IN (%L) PARTITION BY LIST (survey_year)',
                   t, p_layer, p_county);
  END IF;
  RETURN format('survey.%I', t)::regclass;
END $$;

-- Makes p_new the layer-year's partition, dropping the one it replaces. p_new must already hold
-- only that county and year; the CHECK lets ATTACH skip its validation scan.
CREATE FUNCTION survey.swap_layer_year(p_layer text, p_county text, p_year int, p_new regclass) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  parent regclass := survey.ensure_county_partition(p_layer, p_county);
  old regclass;
BEGIN
  SELECT c.oid::regclass INTO old
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
   WHERE i.inhparent = parent
     AND pg_get_expr(c.relpartbound, c.oid) IN (format('FOR VALUES IN (%s)', p_year), format('FOR VALUES IN (%L)', p_year::text));
  IF old IS NOT NULL THEN
    EXECUTE format('ALTER TABLE %s DETACH PARTITION %s', parent, old);
    EXECUTE format('DROP TABLE %s', old);
  END IF;
  EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I CHECK (county_code = %L AND survey_year = %s)',
                 p_new, 'layer_year_' || p_year, p_county, p_year);
  EXECUTE format('ALTER TABLE %s ATTACH PARTITION %s FOR VALUES IN (%s)', parent, p_new, p_year);
END $$;
