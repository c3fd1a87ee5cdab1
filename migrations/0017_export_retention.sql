-- Issue 11 point 4: export files are kept for a configured time (ZHANBU_EXPORT_RETENTION_HOURS),
-- then deleted from the work folder. The job stays, with the moment its file was removed.
ALTER TABLE public.export_job ADD COLUMN expired_at timestamptz;
CREATE INDEX export_job_unexpired ON public.export_job (finished_at) WHERE state = 'succeeded' AND expired_at IS NULL;
