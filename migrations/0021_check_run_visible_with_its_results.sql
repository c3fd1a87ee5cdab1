-- A township reads its parcels' check results (check_result follows the parcel), but a run followed
-- only its upload: when the county uploaded the township's parcels (the upload has no township), the
-- township saw the results and not the run they belong to, so its parcel report said "no check
-- run" and /ogc candidates said "unchecked" for parcels the county saw pass. A run is now also
-- visible to whoever may see one of its results; its contents (the thresholds and layers used) are
-- not confidential within the county.
ALTER POLICY check_run_scope ON candidate.check_run
  USING (upload_id IN (SELECT id FROM candidate.upload)
         OR EXISTS (SELECT 1 FROM candidate.check_result r WHERE r.run_id = check_run.id));
