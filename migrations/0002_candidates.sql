-- Candidate parcels (拟补充林地地块): uploads, parcels, and dated check results.
CREATE SCHEMA IF NOT EXISTS candidate;

CREATE TABLE candidate.upload (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_code     char(6) NOT NULL CHECK (county_code ~ '^\d{6}$'),
  township_code   char(9) CHECK (township_code ~ '^\d{9}$'),
  applicant       text,
  intended_forest_class text,        -- default for parcels that do not carry their own
  source_name     text NOT NULL,
  source_format   text NOT NULL,
  source_layer    text,
  source_bytes    bigint,
  content_sha256  text NOT NULL CHECK (content_sha256 ~ '^[0-9a-f]{64}$'),
  crs             jsonb NOT NULL,    -- as for survey imports: {epsg, zone, how, ...}
  encoding        jsonb,
  parcel_count    integer NOT NULL,
  warnings        jsonb NOT NULL DEFAULT '[]',   -- upload-level warnings (Z dropped, …)
  uploaded_by     text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (county_code, content_sha256)            -- the same file again is the same upload
);

CREATE TABLE candidate.parcel (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  upload_id       uuid NOT NULL REFERENCES candidate.upload (id) ON DELETE CASCADE,
  county_code     char(6) NOT NULL,
  fid             bigint NOT NULL,               -- feature id in the uploaded file
  parcel_no       text NOT NULL,                 -- DKBH from the file, else the upload's sequence
  township_code   char(9),
  applicant       text,
  declared_area_m2 numeric(15, 2),
  intended_forest_class text,
  attributes      jsonb,                         -- every attribute of the file, as uploaded
  src_srid        integer NOT NULL,              -- coordinate system of the upload (area of record)
  geom_original   geometry NOT NULL,             -- as uploaded (2D, EPSG:4490), possibly invalid
  geom            geometry(MultiPolygon, 4490),  -- valid polygonal geometry used by the checks
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (upload_id, fid)
);
CREATE INDEX parcel_geom ON candidate.parcel USING gist (geom);
CREATE INDEX parcel_county ON candidate.parcel (county_code);

-- One run of the checks over an upload (or a single parcel), with the layer versions it read.
CREATE TABLE candidate.check_run (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  upload_id     uuid NOT NULL REFERENCES candidate.upload (id) ON DELETE CASCADE,
  parameters    jsonb NOT NULL,                  -- thresholds, tolerances, change year
  layers        jsonb NOT NULL,                  -- {dltbBase: {year, importId}, dltbLatest: …, ldxb: …, xzq: …}
  started_at    timestamptz NOT NULL DEFAULT now(),
  finished_at   timestamptz,
  run_by        text
);
CREATE INDEX check_run_upload ON candidate.check_run (upload_id, started_at DESC);

CREATE TABLE candidate.check_result (
  run_id     uuid NOT NULL REFERENCES candidate.check_run (id) ON DELETE CASCADE,
  parcel_id  uuid NOT NULL REFERENCES candidate.parcel (id) ON DELETE CASCADE,
  check_code text NOT NULL,                      -- geometry, area, source, not-forest, ownership, jurisdiction, overlap, land-class-change
  status     text NOT NULL CHECK (status IN ('pass', 'warn', 'fail', 'not-run')),
  message    text NOT NULL,                      -- Chinese, for people
  figures    jsonb NOT NULL DEFAULT '{}',
  problems   jsonb,                              -- GeoJSON FeatureCollection of offending geometry (EPSG:4490)
  PRIMARY KEY (run_id, parcel_id, check_code)
);
