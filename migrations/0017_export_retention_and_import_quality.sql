-- Issue 11 point 4: export files are kept for a configured time (ZHANBU_EXPORT_RETENTION_HOURS),
-- then deleted from the work folder. The job stays, with the moment its file was removed.
ALTER TABLE public.export_job ADD COLUMN expired_at timestamptz;
CREATE INDEX export_job_unexpired ON public.export_job (finished_at) WHERE state = 'succeeded' AND expired_at IS NULL;

-- Issue 11 point 5: layer-level quality checks (质检) of an imported DLTB (src/domain/survey-quality.ts).
-- One row per finding, with the rule, the features involved and where it is; the import's summary
-- (findings per rule, whether they refused the import) is on the job.
ALTER TABLE public.import_job ADD COLUMN quality jsonb;
CREATE TABLE public.import_quality_finding (
  import_id uuid NOT NULL REFERENCES public.import_job (id) ON DELETE CASCADE,
  seq       integer NOT NULL,
  rule      text NOT NULL,
  fids      bigint[],                 -- features involved (two for an overlap), source fids
  bsms      text[],
  message   text NOT NULL,            -- Chinese, for people
  figures   jsonb,                    -- the numbers compared: {tbmj, officialM2, differenceM2, areaM2, …}
  geom      geometry(Geometry, 4490), -- where: the polygon, the overlap or the gap
  PRIMARY KEY (import_id, seq)
);
ALTER TABLE public.import_quality_finding ENABLE ROW LEVEL SECURITY;
CREATE POLICY import_quality_finding_scope ON public.import_quality_finding TO zhanbu_app
  USING (import_id IN (SELECT id FROM public.import_job));
GRANT SELECT ON public.import_quality_finding TO zhanbu_app;
