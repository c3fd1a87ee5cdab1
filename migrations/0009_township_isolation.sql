-- Township isolation (issue 8, item 4) and exports under row-level security (item 17).
--
-- A township user (乡镇人民政府) sees its own township's candidate uploads and parcels, their checks,
-- its procedure parcels with their transitions, objections and consents, and the audit-log events
-- of those parcels; it sees nothing of the reserve submissions, the city/province audits, quota
-- (issuances, ledger, draws, pool, inspections, lapse) or the county's annual summary. The survey
-- layers (DLTB, one-map, XZQ) and their import records stay readable county-wide: they are the
-- base data a township needs to choose and check sites. The table of what each route answers a
-- township is in the README ("乡镇用户能看到什么 / What a township sees"); these policies are what
-- makes it hold whatever the route does.

-- Whether the request's scope is a township's. Either marker counts, so a scope that names the
-- role but lost its township (or the reverse) is treated as a township, never as the county.
CREATE FUNCTION zhanbu.is_township() RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT nullif(current_setting('zhanbu.township', true), '') IS NOT NULL
      OR coalesce(current_setting('zhanbu.user_role', true), '') = 'township'
$$;

-- Township rows: a township scope sees only rows of its township. Replaces 0003's version, which
-- let a township-role scope without a township setting see every township (fail open).
CREATE OR REPLACE FUNCTION zhanbu.township_visible(township text) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT NOT zhanbu.is_township()
      OR coalesce(township = nullif(current_setting('zhanbu.township', true), ''), false)
$$;

GRANT EXECUTE ON FUNCTION zhanbu.is_township() TO zhanbu_app;

-- ---------------------------------------------------------------- nothing of the reserve or quota
-- Restrictive: whatever other policy admits a row, a township scope never reads or writes these.
-- (quota.entry already had a role-based one in 0003; this adds the scope-based one.)
-- A table added later to the reserve or quota (say a balance table) needs the same policy.
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['procedure.reserve_submission', 'procedure.audit', 'procedure.audit_sample',
                           'quota.issuance', 'quota.issuance_parcel', 'quota.pool_request', 'quota.allocation',
                           'quota.draw', 'quota.inspection', 'quota.lapse', 'quota.entry', 'quota.annual_summary'] LOOP
    EXECUTE format('CREATE POLICY township_hidden ON %s AS RESTRICTIVE TO zhanbu_app USING (NOT zhanbu.is_township()) WITH CHECK (NOT zhanbu.is_township())', t);
  END LOOP;
END $$;

-- ---------------------------------------------------------------- the audit log
-- A township reads only the events of its own procedure parcels, and of those only the procedure's
-- own tables: not the quota rows that also carry a parcel_id (issuance_parcel, inspection) nor the
-- audit samples. The subquery on procedure.parcel is itself confined to the township by its policy.
CREATE POLICY township_events ON audit.event AS RESTRICTIVE FOR SELECT TO zhanbu_app
  USING (NOT zhanbu.is_township()
         OR (table_name IN ('procedure.parcel', 'procedure.transition', 'procedure.objection', 'procedure.consent')
             AND parcel_id IN (SELECT id FROM procedure.parcel)));

-- ---------------------------------------------------------------- exports
-- Export jobs are read and created in the user's scope (src/exports). A township's job carries its
-- township: it is visible to that township and to the county above it, and a township may export
-- only the reserve layer (its own parcels); the county-wide DLTB and one-map are the county's.
ALTER TABLE public.export_job ADD COLUMN township_code char(9) CHECK (township_code ~ '^\d{9}$');
ALTER TABLE public.export_job ENABLE ROW LEVEL SECURITY;
CREATE POLICY export_job_scope ON public.export_job TO zhanbu_app
  USING (zhanbu.in_scope(county_code) AND zhanbu.township_visible(township_code))
  WITH CHECK (zhanbu.in_scope(county_code)
              AND township_code IS NOT DISTINCT FROM nullif(current_setting('zhanbu.township', true), '')
              AND (NOT zhanbu.is_township() OR layer = 'reserve'));
-- Progress and results are written by the background run (system context), never by a request.
GRANT SELECT, INSERT ON public.export_job TO zhanbu_app;

-- An export's scratch table is created (empty) by the system context, which then grants INSERT on
-- it alone to zhanbu_app: the rows are selected by an INSERT … SELECT in the user's scope, so they
-- are exactly what the policies let that user read (src/exports/repository.ts, buildScratch).
GRANT USAGE ON SCHEMA staging TO zhanbu_app;
