-- An OGC single feature of DLTB or XZQ is looked up by its id, the BSM (the fid where BSM is empty),
-- within one county-year; without an index that scanned the county-year (~140 ms at 200,000 polygons).
--
-- A plain index on bsm, not one on the id's expression coalesce(bsm, fid::text): the lookup runs in
-- the user's scope, under row-level security, where PostgreSQL uses a condition as an index condition
-- only if all it calls is LEAKPROOF, and fid::text (int8out) is not. So the repository writes the id
-- test as `bsm = id OR (bsm IS NULL AND fid = id as a number)` (texteq, int8eq: leakproof), served by
-- this index and the primary key (src/ogc/repository.ts, itemById). The same index serves `?BSM=`.
--
-- Built on the partitioned parents, so every partition gets one: existing ones now, and each
-- county-year table an import attaches later gets it built at ATTACH (survey.swap_layer_year).
CREATE INDEX dltb_bsm ON survey.dltb (county_code, survey_year, bsm);
CREATE INDEX xzq_bsm ON survey.xzq (county_code, survey_year, bsm);
