-- Exports of updated land-class layers (DLTB with restored parcels applied, one-map, reserve).
CREATE TABLE public.export_job (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  county_code   char(6) NOT NULL CHECK (county_code ~ '^\d{6}$'),
  survey_year   smallint NOT NULL,
  layer         text NOT NULL CHECK (layer IN ('dltb', 'ldxb', 'reserve')),
  format        text NOT NULL CHECK (format IN ('shapefile', 'gpkg', 'filegdb', 'geojson', 'flatgeobuf')),
  crs_epsg      integer NOT NULL,
  parcels       text NOT NULL,       -- which parcels are applied: a procedure state, or 'candidates'
  state         text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'succeeded', 'failed')),
  phase         text,
  progress      real NOT NULL DEFAULT 0,
  counts        jsonb,               -- {features, changedPolygons, newPolygons, parcels}
  file_name     text,
  file_path     text,
  file_bytes    bigint,
  error         jsonb,
  requested_by  text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  finished_at   timestamptz
);
CREATE INDEX export_job_county ON public.export_job (county_code, created_at DESC);
