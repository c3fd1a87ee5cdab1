-- The reserve submission (issue 10, points 5 and 6).
--
-- Point 5, 经县（市、区）政府审核后，由县（市、区）林业主管部门……报市级林业部门审核汇总 (Jiangxi scheme
-- §三(三)2): a submission filed by the county forestry bureau waits for the county government's
-- approval ('county-review') before it is with the city ('city-review'); who approved it and when
-- are recorded on the submission.
--
-- Point 6, 核查无误后报省级 / 核查无误后纳入省级林地储备库: a sample with any failed parcel returns the
-- submission to the county ('returned'); the failed parcels leave the reserve, the others go back
-- to the county reserve and are submitted again, as a new submission with a fresh sample. So a
-- county-year may have several submissions, of which at most one is not returned.

ALTER TABLE procedure.reserve_submission DROP CONSTRAINT reserve_submission_state_check;
ALTER TABLE procedure.reserve_submission ADD CONSTRAINT reserve_submission_state_check
  CHECK (state IN ('county-review', 'city-review', 'province-review', 'provincial-reserve', 'returned'));

ALTER TABLE procedure.reserve_submission DROP CONSTRAINT reserve_submission_county_code_reserve_year_key;
CREATE UNIQUE INDEX reserve_submission_open_key ON procedure.reserve_submission (county_code, reserve_year) WHERE state <> 'returned';

ALTER TABLE procedure.reserve_submission
  ADD COLUMN approved_by   uuid,
  ADD COLUMN approved_name text,
  ADD COLUMN approved_on   date,
  ADD COLUMN approved_at   timestamptz,
  ADD COLUMN returned_at   timestamptz,
  ADD COLUMN return_reason text;
