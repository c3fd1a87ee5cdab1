/**
 * Strict JSON bodies (src/http/strict-body.ts): how a body schema is closed, which schemas stay open,
 * and where the first unknown property is found.
 */
import { Type } from '@fastify/type-provider-typebox';
import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { closeBodySchema, firstUnknownProperty } from '../../../src/http/strict-body.js';
import { ApplyBody, VerifyBody } from '../../../src/procedure/schemas.js';

const Doc = Type.Object({ title: Type.String(), number: Type.Optional(Type.String()) });
const Body = Type.Object({
  name: Type.String(),
  documents: Type.Optional(Type.Array(Doc)),
  restorer: Type.Optional(Type.Union([Type.Object({ name: Type.String() }), Type.Null()])),
  attributes: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  evidence: Type.Optional(Type.Object({ kind: Type.String() }, { additionalProperties: true })),
  byCode: Type.Optional(Type.Record(Type.String(), Doc)),
});

const unknownIn = (schema: object, value: unknown) => firstUnknownProperty(value, closeBodySchema(schema), 'body')?.path;

describe('closing a body schema', () => {
  it('closes objects of fixed properties at every depth, and leaves the original alone', () => {
    const closed = closeBodySchema(Body);
    expect(Value.Check(closed, { name: 'a', documents: [{ title: 't' }] })).toBe(true);
    expect(Value.Check(closed, { name: 'a', bogus: 1 })).toBe(false);
    expect(Value.Check(closed, { name: 'a', documents: [{ title: 't', bogus: 1 }] })).toBe(false);
    expect(Value.Check(closed, { name: 'a', restorer: { name: 'x', bogus: 1 } })).toBe(false);
    expect(Value.Check(Body, { name: 'a', bogus: 1 })).toBe(true);
    expect('additionalProperties' in Doc).toBe(false);
  });

  it('keeps open schemas open: a Record, additionalProperties true (the values of a Record of objects are closed)', () => {
    const closed = closeBodySchema(Body);
    expect(Value.Check(closed, { name: 'a', attributes: { anything: 1, at: { all: true } }, evidence: { kind: 'k', more: 1 } })).toBe(true);
    expect(Value.Check(closed, { name: 'a', byCode: { c1: { title: 't' } } })).toBe(true);
    expect(Value.Check(closed, { name: 'a', byCode: { c1: { title: 't', bogus: 1 } } })).toBe(false);
  });

  it('merges an intersection of objects into one closed object: each member’s properties are known', () => {
    const closed = closeBodySchema(Type.Intersect([Type.Object({ a: Type.String() }), Type.Object({ b: Type.Optional(Type.Number()) })]));
    expect(closed).toMatchObject({ type: 'object', required: ['a'], additionalProperties: false });
    expect(Value.Check(closed, { a: 'x', b: 1 })).toBe(true);
    expect(Value.Check(closed, { a: 'x', c: 1 })).toBe(false);
    expect(Value.Check(closed, { b: 1 })).toBe(false);
    expect(unknownIn(closed, { a: 'x', c: 1 })).toBe('body.c');
  });

  it('an intersection with an open member stays open; one it cannot read is refused at start-up', () => {
    const open = closeBodySchema(Type.Intersect([Type.Object({ a: Type.String() }), Type.Record(Type.String(), Type.Unknown())]));
    expect(Value.Check(open, { a: 'x', c: 1 })).toBe(true);
    expect(() => closeBodySchema(Type.Intersect([Type.Object({ a: Type.String() }), Type.Union([Type.Object({ b: Type.String() }), Type.Object({ c: Type.String() })])]), 'POST /x')).toThrow(
      /POST \/x: a body combining schemas with allOf/,
    );
  });
});

describe('the first unknown property', () => {
  it('is named with its path, at the top, in array items and in the object branch of a nullable', () => {
    expect(unknownIn(Body, { name: 'a', verifedOn: '2024-01-01' })).toBe('body.verifedOn');
    expect(unknownIn(Body, { documents: [{ title: 't' }, { title: 't', bogus: 1 }] })).toBe('body.documents[1].bogus');
    expect(unknownIn(Body, { restorer: { name: 'x', kind: 'y' } })).toBe('body.restorer.kind');
    expect(unknownIn(Body, { byCode: { c1: { title: 't', bogus: 1 } } })).toBe('body.byCode.c1.bogus');
    // Whatever else is wrong with the body (a required property missing, a wrong type).
    expect(unknownIn(Body, { name: 1, bogus: 1 })).toBe('body.bogus');
    expect(unknownIn(Body, { name: 'a', constructor: 1 })).toBe('body.constructor');
  });

  it('is nothing in open parts, in a valid body, or in what is not an object', () => {
    expect(unknownIn(Body, { name: 'a', attributes: { x: 1 }, evidence: { kind: 'k', x: 1 }, restorer: null })).toBeUndefined();
    expect(unknownIn(Body, 'text')).toBeUndefined();
    expect(unknownIn(Body, undefined)).toBeUndefined();
  });

  it('works on the procedure’s bodies', () => {
    expect(unknownIn(VerifyBody, { rerunChecks: { baseYear: 2019, lastYear: 2023 } })).toBe('body.rerunChecks.lastYear');
    expect(unknownIn(VerifyBody, { participants: { forestry: [{ name: 'a', phone: '1' }], naturalResources: [] } })).toBe('body.participants.forestry[0].phone');
    expect(unknownIn(ApplyBody, { candidateParcelId: 'x', priorRestoration: { restorer: { name: 'a', kind: 'b', mail: 'c' } } })).toBe('body.priorRestoration.restorer.mail');
  });
});
