import { describe, expect, it } from 'vitest';
import { unsafeEntryReason } from '../../../src/gdal/archive.js';
import { geometryTypeParts } from '../../../src/gdal/inspect.js';
import { gdalPgConnection } from '../../../src/gdal/stage.js';
import { safeStem } from '../../../src/gdal/source.js';
import { buildValidationSql } from '../../../src/imports/validation-repository.js';
import { DLTB, XZQ } from '../../../src/layers/specs.js';

describe('zip entry paths', () => {
  it('refuses parent segments, absolute paths and NULs; accepts normal nesting', () => {
    expect(unsafeEntryReason('../evil.shp')).toMatch(/\.\./);
    expect(unsafeEntryReason('a/../../evil.shp')).toMatch(/\.\./);
    expect(unsafeEntryReason('a\\..\\evil.shp')).toMatch(/\.\./);
    expect(unsafeEntryReason('/etc/passwd')).toMatch(/绝对路径/);
    expect(unsafeEntryReason('C:/x.shp')).toMatch(/绝对路径/);
    expect(unsafeEntryReason('361123.gdb/a00000001.gdbtable')).toBeUndefined();
    expect(unsafeEntryReason('DLTB..shp')).toBeUndefined();
  });
});

describe('geometry type codes', () => {
  it('reads flat type and Z/M from old 2.5D and ISO codes', () => {
    expect(geometryTypeParts(3)).toEqual({ flat: 3, z: false, m: false });
    expect(geometryTypeParts(0x80000003 | 0)).toEqual({ flat: 3, z: true, m: false });
    expect(geometryTypeParts(1006)).toEqual({ flat: 6, z: true, m: false });
    expect(geometryTypeParts(2003)).toEqual({ flat: 3, z: false, m: true });
    expect(geometryTypeParts(3006)).toEqual({ flat: 6, z: true, m: true });
  });
});

describe('GDAL PG connection string', () => {
  it('carries host, port, database, user and password, quoted', () => {
    const s = gdalPgConnection("postgres://u%20x:p'w@db.example:5433/zhanbu");
    expect(s).toBe("PG:host='db.example' port=5433 dbname='zhanbu' user='u x' password='p\\'w' application_name='zhanbu-import'");
  });
});

describe('validation SQL', () => {
  it('maps standard fields case-insensitively and keeps the rest in extra', () => {
    const v = buildValidationSql(DLTB, 'imp_x_src', [
      { name: 'ogc_fid', dataType: 'integer' },
      { name: 'dlbm', dataType: 'character varying' },
      { name: 'TBMJ', dataType: 'double precision' },
      { name: 'XMMC', dataType: 'character varying' },
      { name: 'geom', dataType: 'USER-DEFINED' },
    ], { countyCode: '361123', repair: false });
    const tbmj = v.insertExpressions[v.insertColumns.indexOf('tbmj')];
    expect(tbmj).toContain('s."TBMJ"');
    expect(v.insertExpressions[v.insertColumns.indexOf('dlbm')]).toContain('s."dlbm"');
    expect(v.insertExpressions[v.insertColumns.indexOf('qsdwdm')]).toBe('NULL::text');
    expect(v.insertExpressions.at(-1)).toContain(`'XMMC', s."XMMC"`);
    expect(v.rejectsSelect).toContain('ST_IsValid');
    expect(v.params).toContain('361123');
    expect(v.params).toHaveLength(3);
  });
  it('leaves invalid geometry out of the rejects when repair is requested', () => {
    const v = buildValidationSql(XZQ, 't', [{ name: 'XZQDM', dataType: 'character varying' }], { countyCode: '361123', repair: true });
    expect(v.rejectsSelect).not.toContain('geometry-invalid');
    expect(v.insertColumns).toContain('level');
    expect(v.params).toEqual(['361123']); // XZQ rules use only the county
    expect(v.rejectsSelect).not.toContain('$2');
  });
});

describe('file stems from user file names', () => {
  it('keeps Chinese names, drops folders and extensions, never escapes the folder', () => {
    expect(safeStem('拟补充林地地块.geojson')).toBe('拟补充林地地块');
    expect(safeStem('C:\\data\\dk.json')).toBe('dk');
    expect(safeStem('../../etc/passwd')).toBe('passwd');
    expect(safeStem('..')).toBe('upload');
    expect(safeStem(undefined)).toBe('upload');
  });
});
