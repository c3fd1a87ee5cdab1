/**
 * "对管护不到位、林分质量下降，甚至退化、灭失的，扣减当年度使用林地指标" (赣林规〔2022〕1号 §三(三)4): what each
 * re-inspection outcome deducts, once per parcel, and the debt when the year's balance falls short.
 */
import { describe, expect, it } from 'vitest';
import { deduction, OUTCOME_EFFECTS, OUTCOMES, settleDebts } from '../../../src/domain/quota/inspection.js';
import { muToMicroMu } from '../../../src/domain/units.js';

const mu = (v: string) => muToMicroMu(v);

describe('re-inspection outcomes', () => {
  it('all four findings the seed names deduct; only 灭失 removes the parcel and takes it whole; the others need a rectification deadline', () => {
    expect(OUTCOMES.filter((o) => OUTCOME_EFFECTS[o].deducts)).toEqual(['inadequate-care', 'quality-declined', 'degraded', 'lost']);
    expect(OUTCOMES.filter((o) => OUTCOME_EFFECTS[o].removes)).toEqual(['lost']);
    expect(OUTCOMES.filter((o) => OUTCOME_EFFECTS[o].rectify)).toEqual(['inadequate-care', 'quality-declined', 'degraded']);
    for (const o of OUTCOMES.filter((x) => x !== 'intact')) expect(OUTCOME_EFFECTS[o].text).toContain('扣减当年度使用林地指标');
  });

  it('intact deducts nothing; 管护不到位 deducts the area found affected, or the whole parcel when none is given', () => {
    expect(deduction('intact', mu('10'), undefined, 0n, mu('100'))).toEqual({ affected: 0n, loss: 0n, fromBalance: 0n, debt: 0n });
    expect(deduction('inadequate-care', mu('10'), mu('4'), 0n, mu('100'))).toEqual({ affected: mu('4'), loss: mu('4'), fromBalance: mu('4'), debt: 0n });
    expect(deduction('quality-declined', mu('10'), undefined, 0n, mu('100')).loss).toBe(mu('10'));
    // 灭失 is the whole parcel whatever area is given.
    expect(deduction('lost', mu('10'), mu('1'), 0n, mu('100')).affected).toBe(mu('10'));
    expect(() => deduction('degraded', mu('10'), mu('10.000001'), 0n, mu('100'))).toThrow(RangeError);
    expect(() => deduction('degraded', mu('10'), 0n, 0n, mu('100'))).toThrow(RangeError);
  });

  it('a parcel’s loss is deducted once: only the affected area beyond what was deducted before', () => {
    expect(deduction('inadequate-care', mu('10'), mu('4'), mu('4'), mu('100')).loss).toBe(0n);
    expect(deduction('degraded', mu('10'), mu('6'), mu('4'), mu('100')).loss).toBe(mu('2'));
    expect(deduction('lost', mu('10'), undefined, mu('6'), mu('100')).loss).toBe(mu('4'));
    expect(deduction('quality-declined', mu('10'), mu('3'), mu('4'), mu('100')).loss).toBe(0n);
  });

  it('what the balance cannot cover is a debt, never a negative balance (a negative balance before counts as none)', () => {
    expect(deduction('lost', mu('20'), undefined, 0n, mu('5'))).toEqual({ affected: mu('20'), loss: mu('20'), fromBalance: mu('5'), debt: mu('15') });
    expect(deduction('lost', mu('20'), undefined, 0n, 0n)).toMatchObject({ fromBalance: 0n, debt: mu('20') });
    expect(deduction('lost', mu('20'), undefined, 0n, -mu('3'))).toMatchObject({ fromBalance: 0n, debt: mu('20') });
    expect(deduction('lost', mu('20'), undefined, 0n, mu('20'))).toMatchObject({ fromBalance: mu('20'), debt: 0n });
  });
});

describe('debts settled by the next issuance', () => {
  it('oldest first, each as far as the issued amount goes; nothing from an empty issuance', () => {
    const debts = [
      { id: 'a', outstanding: mu('5') },
      { id: 'b', outstanding: 0n },
      { id: 'c', outstanding: mu('10') },
    ];
    expect(settleDebts(mu('12'), debts)).toEqual([
      { id: 'a', amount: mu('5') },
      { id: 'c', amount: mu('7') },
    ]);
    expect(settleDebts(mu('100'), debts).reduce((t, s) => t + s.amount, 0n)).toBe(mu('15'));
    expect(settleDebts(0n, debts)).toEqual([]);
  });
});
