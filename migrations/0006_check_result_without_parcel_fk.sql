-- Check results are written 8 per parcel in one statement; the foreign key to candidate.parcel cost
-- more than the checks' own overlays on 1,000 parcels (bench/checks). It guards nothing the run's
-- key does not: results are created only by a run over its upload's parcels, and parcels are only
-- deleted with their upload, whose runs (and so results) cascade away with it.
ALTER TABLE candidate.check_result DROP CONSTRAINT IF EXISTS check_result_parcel_id_fkey;
