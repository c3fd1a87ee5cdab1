import { describe, expect, it } from 'vitest';
import { muToMicroMu } from '../../../src/domain/units.js';
import { serveDraws } from '../../../src/domain/quota/draws.js';

const mu = (v: string) => muToMicroMu(v);
const d = (approvalNo: string, amount: string) => ({ approvalNo, amount: mu(amount) });

describe('draws served in order against one balance', () => {
  it('takes each draw the balance covers, refuses the rest with the balance it found; a refused draw takes nothing', () => {
    expect(serveDraws(mu('100'), [d('a', '30'), d('b', '60'), d('c', '30'), d('d', '10'), d('e', '0.000001')], new Set())).toEqual([
      { kind: 'drawn', balanceAfter: mu('70') },
      { kind: 'drawn', balanceAfter: mu('10') },
      { kind: 'insufficient', balance: mu('10') },
      { kind: 'drawn', balanceAfter: mu('0') },
      { kind: 'insufficient', balance: mu('0') },
    ]);
  });

  it('exactly the balance fits; one µ亩 more does not', () => {
    expect(serveDraws(mu('499.999995'), [d('a', '499.999996'), d('b', '499.999995')], new Set())).toEqual([
      { kind: 'insufficient', balance: mu('499.999995') },
      { kind: 'drawn', balanceAfter: 0n },
    ]);
  });

  it('a negative balance (deductions after the re-inspection) covers nothing', () => {
    expect(serveDraws(-mu('5'), [d('a', '1')], new Set())).toEqual([{ kind: 'insufficient', balance: -mu('5') }]);
  });

  it('an approval number draws once: used before, or earlier in the series; a refused draw does not use it', () => {
    expect(serveDraws(mu('10'), [d('old', '1'), d('x', '20'), d('x', '2'), d('x', '3'), d('y', '1')], new Set(['old']))).toEqual([
      { kind: 'approval-no-exists' },
      { kind: 'insufficient', balance: mu('10') },
      { kind: 'drawn', balanceAfter: mu('8') },
      { kind: 'approval-no-exists' },
      { kind: 'drawn', balanceAfter: mu('7') },
    ]);
  });

  it('as many of 200 equal draws as the balance holds, and never below zero', () => {
    const out = serveDraws(mu('199.999995'), Array.from({ length: 200 }, (_, i) => d(`n${i}`, '1.5')), new Set());
    expect(out.filter((o) => o.kind === 'drawn')).toHaveLength(133);
    expect(out.every((o) => o.kind !== 'drawn' || o.balanceAfter >= 0n)).toBe(true);
  });

  it('refuses a non-positive amount as a programming error', () => {
    expect(() => serveDraws(mu('1'), [d('a', '0')], new Set())).toThrow(RangeError);
  });
});
