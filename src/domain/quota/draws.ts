/**
 * Draws against one account-year's balance, served in the order they arrived: each takes its
 * amount if what is left covers it, else it is refused with the balance it found; a refused draw
 * takes nothing, so a smaller one after it may still fit. An approval number (使用林地审核同意书文号)
 * draws once per county: a number already used, or used earlier in the same series, is refused.
 * This is exactly what serving the draws one at a time gives; the service applies it to the draws
 * queued for an account-year while it holds that account-year's balance (src/quota/service.ts).
 * All amounts are exact integer µ亩.
 */
import type { MicroMu } from '../units.js';

export interface DrawRequest {
  approvalNo: string;
  amount: MicroMu;
}

export type DrawOutcome =
  | { kind: 'drawn'; balanceAfter: MicroMu }
  | { kind: 'insufficient'; balance: MicroMu }
  | { kind: 'approval-no-exists' };

/** The outcome of each draw, in order, from the balance and the approval numbers already used. */
export function serveDraws(balance: MicroMu, draws: readonly DrawRequest[], used: ReadonlySet<string>): DrawOutcome[] {
  const taken = new Set(used);
  let left = balance;
  return draws.map((d): DrawOutcome => {
    if (d.amount <= 0n) throw new RangeError(`draw amount must be positive, got ${d.amount}`);
    if (taken.has(d.approvalNo)) return { kind: 'approval-no-exists' };
    if (d.amount > left) return { kind: 'insufficient', balance: left };
    left -= d.amount;
    taken.add(d.approvalNo);
    return { kind: 'drawn', balanceAfter: left };
  });
}
