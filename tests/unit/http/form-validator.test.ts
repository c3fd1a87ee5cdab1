import { describe, expect, it } from 'vitest';
import { formValidator } from '../../../src/http/multipart-upload.js';
import { Problem } from '../../../src/http/problem.js';
import { ImportForm } from '../../../src/imports/schemas.js';
import { UploadForm } from '../../../src/candidates/schemas.js';

const importForm = formValidator(ImportForm, ['file', 'county']);
const uploadForm = formValidator(UploadForm, ['file', 'county', 'township']);

const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(Problem);
    return err as Problem;
  }
  throw new Error('not refused');
};

describe('multipart forms are validated by the schema that documents them', () => {
  it('converts text as a query string is converted, and an empty field is absent', () => {
    expect(importForm({ layer: 'dltb', county: 'x', year: '2019', repairGeometry: 'true', dropZ: '0', layerName: '' })).toEqual({
      layer: 'dltb',
      year: 2019,
      repairGeometry: true,
      dropZ: false,
    });
    expect(uploadForm({ county: '361123', changeYear: '2023', runChecks: '否' })).toEqual({ changeYear: 2023, runChecks: false });
    // runChecks defaults to true, as the schema documents.
    expect(uploadForm({ county: '361123' })).toEqual({ runChecks: true });
  });

  it('answers the first bad field with 400 request-invalid naming it in Chinese', () => {
    const layer = refusal(() => importForm({ layer: 'nope', year: '2019' }));
    expect(layer.status).toBe(400);
    expect(layer.code).toBe('request-invalid');
    expect(layer.detail).toContain('参数layer应为dltb、ldxb或xzq');
    expect(layer.detail).toContain('实际为“nope”');
    expect(refusal(() => importForm({ layer: 'dltb', year: '19' })).detail).toContain('参数year应为1990至2100的整数');
    expect(refusal(() => importForm({ layer: 'dltb' })).detail).toBe('缺少参数year');
    expect(refusal(() => uploadForm({ runChecks: 'perhaps' })).detail).toBe('参数runChecks应为true或false，实际为“perhaps”');
    expect(refusal(() => importForm({ layer: 'dltb', year: '2019', onRejects: 'drop' })).extensions.field).toBe('onRejects');
  });

  it('leaves the fields a service checks with its own codes alone', () => {
    expect(uploadForm({ county: '36112', township: '1' })).toEqual({ runChecks: true });
  });

  it('refuses a field the form does not know (a misspelt option), empty or not: 400 unknown-property naming it', () => {
    const typo = refusal(() => importForm({ layer: 'dltb', year: '2019', repairGeomety: 'true' }));
    expect({ status: typo.status, code: typo.code, path: typo.extensions.path }).toEqual({ status: 400, code: 'unknown-property', path: 'form.repairGeomety' });
    expect(typo.detail).toContain('未知的字段：form.repairGeomety');
    expect(refusal(() => uploadForm({ county: '361123', changeyear: '' })).code).toBe('unknown-property');
  });
});
