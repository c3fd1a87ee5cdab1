/**
 * Command-line export of an updated land-class layer, the same pipeline as POST /api/v1/exports:
 *   npm run export -- --county 361123 --year 2019 --layer dltb --format shapefile [--crs zone-prefixed|zone|4490] [--out file]
 */
import { copyFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { createPool } from '../db/pool.js';
import { migrate } from '../db/migrate.js';
import { Problem } from '../http/problem.js';
import { isExportFormat } from '../exports/formats.js';
import { getExportJob } from '../exports/jobs-repository.js';
import { ExportService, type ExportCrs, type ExportLayer } from '../exports/service.js';

const { values } = parseArgs({
  options: {
    county: { type: 'string' },
    year: { type: 'string' },
    layer: { type: 'string', default: 'dltb' },
    format: { type: 'string', default: 'shapefile' },
    crs: { type: 'string', default: 'zone-prefixed' },
    parcels: { type: 'string', default: 'changed' },
    out: { type: 'string' },
  },
});
const fail = (m: string): never => {
  console.error(`[export] ${m}`);
  process.exit(2);
};
if (!values.county || !values.year) fail('--county and --year are required');
if (!isExportFormat(values.format)) fail('--format must be shapefile, gpkg, filegdb, geojson or flatgeobuf');
if (!['4490', 'zone', 'zone-prefixed'].includes(values.crs)) fail('--crs must be 4490, zone or zone-prefixed');

const config = loadConfig();
const pool = createPool(config.databaseUrl, 4);
let code = 0;
try {
  await migrate(pool);
  const service = new ExportService(pool, config);
  const job = await service.submit({
    county: values.county!,
    year: Number(values.year),
    layer: values.layer as ExportLayer,
    format: values.format as never,
    crs: values.crs as ExportCrs,
    parcels: values.parcels,
  }, 'system'); // an operator on the server: the whole county, as the system context sees it
  // Progress on stderr; a poll that fails only skips one update (the job's own outcome is read below).
  const timer = setInterval(() => {
    getExportJob(pool, job.id).then(
      (j) => {
        if (j) process.stderr.write(`\r[export] ${j.phase} ${(j.progress * 100).toFixed(0)}%   `);
      },
      () => {},
    );
  }, 1000);
  await service.idle();
  clearInterval(timer);
  const done = (await getExportJob(pool, job.id))!;
  process.stderr.write('\n');
  if (done.state !== 'succeeded') {
    console.error(`[export] failed: ${done.error?.detail}`);
    code = 1;
  } else {
    const out = values.out ?? done.file_name!;
    await copyFile(done.file_path!, out);
    console.log(`[export] ${out}: ${JSON.stringify(done.counts)} (EPSG:${done.crs_epsg})`);
  }
} catch (err) {
  console.error(`[export] ${err instanceof Problem ? `${err.code}: ${err.detail}` : (err as Error).message}`);
  code = 1;
} finally {
  await pool.end();
}
process.exit(code);
