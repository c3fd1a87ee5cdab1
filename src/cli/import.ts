/**
 * Command-line import of a survey layer, the same pipeline as POST /api/v1/imports:
 *   npm run import -- --layer dltb --county 361123 --year 2019 --file fixtures/361123/dltb-2019.shp.zip
 * Options: --layer-name N  --encoding GBK  --on-rejects refuse|keep  --repair-geometry  --replace  --drop-z  --json
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../config.js';
import { createPool } from '../db/pool.js';
import { migrate } from '../db/migrate.js';
import { Problem } from '../http/problem.js';
import { isLayerKind } from '../layers/specs.js';
import { getJob } from '../imports/repository.js';
import { ImportService } from '../imports/service.js';
import { importJobView } from '../imports/view.js';

const { values } = parseArgs({
  options: {
    layer: { type: 'string' },
    county: { type: 'string' },
    year: { type: 'string' },
    file: { type: 'string' },
    'layer-name': { type: 'string' },
    encoding: { type: 'string' },
    'on-rejects': { type: 'string', default: 'refuse' },
    'repair-geometry': { type: 'boolean', default: false },
    replace: { type: 'boolean', default: false },
    'drop-z': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});

function usage(msg: string): never {
  console.error(`[import] ${msg}\nusage: npm run import -- --layer dltb|ldxb|xzq --county 361123 --year 2019 --file path [--replace] [--on-rejects keep] [--repair-geometry] [--encoding GBK] [--layer-name DLTB] [--drop-z]`);
  process.exit(2);
}

const layer = values.layer ?? '';
if (!isLayerKind(layer)) usage('--layer must be dltb, ldxb or xzq');
if (!values.county || !values.year || !values.file) usage('--county, --year and --file are required');
const onRejects = values['on-rejects'];
if (onRejects !== 'refuse' && onRejects !== 'keep') usage('--on-rejects must be refuse or keep');

const config = loadConfig();
const pool = createPool(config.databaseUrl, 4);
const service = new ImportService(pool, config);
let exitCode = 0;
try {
  await migrate(pool);
  await service.start();
  // The service consumes its input file; hand it a copy so the user's file stays put.
  const tmp = join(service.workDir, 'uploads', randomUUID());
  await mkdir(join(service.workDir, 'uploads'), { recursive: true });
  await copyFile(values.file, tmp);
  const { job, duplicate } = await service.submit(
    {
      layer,
      county: values.county,
      year: Number(values.year),
      sourceName: basename(values.file),
      requestedBy: `cli:${process.env.USER ?? 'unknown'}`,
      options: {
        layerName: values['layer-name'],
        encoding: values.encoding,
        onRejects,
        repairGeometry: values['repair-geometry'],
        replace: values.replace,
        dropZ: values['drop-z'],
      },
    },
    tmp,
  );
  if (duplicate) {
    console.log(`[import] ${basename(values.file)} is already the current ${layer} ${values.county}/${values.year} (import ${job.id}); nothing new created`);
  } else {
    // Progress on stderr; a poll that fails only skips one update (the job's own outcome is read below).
    const timer = setInterval(() => {
      getJob(pool, job.id).then(
        (j) => {
          if (j && !values.json) process.stderr.write(`\r[import] ${j.phase ?? ''} ${(j.progress * 100).toFixed(0)}%   `);
        },
        () => {},
      );
    }, 1000);
    await service.idle();
    clearInterval(timer);
    const done = importJobView((await getJob(pool, job.id))!);
    if (values.json) console.log(JSON.stringify(done, null, 2));
    else {
      process.stderr.write('\n');
      console.log(
        `[import] ${done.stateLabel} ${done.state}: ${layer} ${done.countyCode}/${done.surveyYear} from ${done.source.name} (${done.source.format}, layer ${done.source.layer}); ` +
          `features ${done.counts.features}, imported ${done.counts.imported ?? 0}, rejected ${done.counts.rejected ?? 0}, repaired ${done.counts.repaired ?? 0}; ` +
          `CRS EPSG:${String(done.crs?.epsg)} (${String(done.crs?.how)}); encoding ${String(done.encoding?.encoding)} (${String(done.encoding?.source)}); id ${done.id}`,
      );
      if (done.error) console.log(`[import] ${done.error.code}: ${done.error.detail}`);
    }
    if (done.state !== 'succeeded') exitCode = 1;
  }
} catch (err) {
  if (err instanceof Problem) {
    console.error(`[import] refused (${err.code}): ${err.detail}`);
    exitCode = 1;
  } else {
    console.error(`[import] failed: ${(err as Error).stack ?? String(err)}`);
    exitCode = 1;
  }
} finally {
  await service.stop();
  await pool.end();
}
process.exit(exitCode);
