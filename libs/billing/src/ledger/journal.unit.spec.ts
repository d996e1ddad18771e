import fc from 'fast-check';
import { Money } from '@accrual/money';
import {
  assertBalanced,
  creditNoteIssuedPosting,
  invoiceIssuedPosting,
  invoiceVoidedPosting,
  JournalPosting,
  paymentAppliedPosting,
  paymentCreditPosting,
  paymentRefundedPosting,
  postingOf,
} from './journal';
import { RecognitionSchedule } from './recognition';

const debits = (posting: JournalPosting) => posting.lines.reduce((t, l) => t.plus(Money.of(l.debit, posting.currency)), Money.zero(posting.currency));
const credits = (posting: JournalPosting) => posting.lines.reduce((t, l) => t.plus(Money.of(l.credit, posting.currency)), Money.zero(posting.currency));
const usd = (minorUnits: bigint) => Money.fromMinorUnits(minorUnits, 'USD').toString();

const schedule = (revenueAmount: string): RecognitionSchedule => ({
  revenueAmount,
  currency: 'USD',
  firstServiceDay: '2026-01-01',
  lastServiceDay: '2026-01-31',
  issuedDay: '2026-01-01',
});

describe('journal posting rules', () => {
  it('posts an issue with customer credit applied: Dr AR and customer credit, Cr deferred revenue and tax', () => {
    const posting = invoiceIssuedPosting({ currency: 'USD', total: '110.00', taxTotal: '10.00', revenueTotal: '100.00', creditApplied: '30.00' });
    expect(posting.lines).toEqual([
      { account: 'accounts_receivable', debit: '80.00', credit: '0.00' },
      { account: 'customer_credit', debit: '30.00', credit: '0.00' },
      { account: 'deferred_revenue', debit: '0.00', credit: '100.00' },
      { account: 'tax_payable', debit: '0.00', credit: '10.00' },
    ]);
    expect(invoiceVoidedPosting({ currency: 'USD', total: '110.00', taxTotal: '10.00', revenueTotal: '100.00', creditApplied: '30.00' }).lines[0]).toEqual({
      account: 'accounts_receivable',
      debit: '0.00',
      credit: '80.00',
    });
  });

  it('posts a negative total as customer credit, never as a negative receivable', () => {
    // Revenue -20.00 and tax -2.00: a proration credit beyond the charges, issued at amount due zero.
    const posting = invoiceIssuedPosting({ currency: 'USD', total: '-22.00', taxTotal: '-2.00', revenueTotal: '-20.00', creditApplied: '0.00' });
    expect(posting.lines).toEqual([
      { account: 'customer_credit', debit: '0.00', credit: '22.00' },
      { account: 'deferred_revenue', debit: '20.00', credit: '0.00' },
      { account: 'tax_payable', debit: '2.00', credit: '0.00' },
    ]);
  });

  it('reverses revenue and tax in proportion with a credit note', () => {
    // Invoice 110.00 = 60.00 + 40.00 revenue + 10.00 tax; a 55.00 note leaves half of it.
    const posting = creditNoteIssuedPosting(
      { currency: 'USD', amount: '55.00', amountApplied: '50.00', creditAmount: '5.00' },
      [schedule('60.00'), schedule('40.00')],
      { remaining: '110.00', total: '110.00' },
      { remaining: '55.00', total: '110.00' },
    );
    expect(posting.lines).toEqual([
      { account: 'deferred_revenue', debit: '50.00', credit: '0.00' },
      { account: 'tax_payable', debit: '5.00', credit: '0.00' },
      { account: 'accounts_receivable', debit: '0.00', credit: '50.00' },
      { account: 'customer_credit', debit: '0.00', credit: '5.00' },
    ]);
  });

  it('reverses exclusive tax in proportion too: 11.00 of a 110.00 invoice is 10.00 revenue and 1.00 tax', () => {
    const posting = creditNoteIssuedPosting(
      { currency: 'USD', amount: '11.00', amountApplied: '11.00', creditAmount: '0.00' },
      [schedule('100.00')],
      { remaining: '110.00', total: '110.00' },
      { remaining: '99.00', total: '110.00' },
    );
    expect(posting.lines.slice(0, 2)).toEqual([
      { account: 'deferred_revenue', debit: '10.00', credit: '0.00' },
      { account: 'tax_payable', debit: '1.00', credit: '0.00' },
    ]);
  });

  it('refuses an unbalanced posting', () => {
    expect(() => assertBalanced({ currency: 'USD', lines: [{ account: 'cash', debit: '1.00', credit: '0.00' }] })).toThrow(/unbalanced/);
  });

  it('balances every rule for any amounts (property)', () => {
    const amount = fc.bigInt({ min: 0n, max: 1_000_000_000n });
    fc.assert(
      fc.property(amount, amount, amount, amount, fc.array(fc.bigInt({ min: -100_000n, max: 10_000_000n }), { minLength: 1, maxLength: 8 }), (a, b, c, d, lineRevenues) => {
        const revenueTotal = lineRevenues.reduce((t, x) => t + x, 0n);
        const total = revenueTotal + a;
        const issued = { currency: 'USD', total: usd(total), taxTotal: usd(a), revenueTotal: usd(revenueTotal), creditApplied: usd(b < total && b > 0n ? b : 0n) };
        const credit = { ...issued, total: usd(-total), taxTotal: usd(-a), revenueTotal: usd(-revenueTotal), creditApplied: usd(0n) };
        const remainingBefore = total > 0n ? total : 1n;
        const noteAmount = total > 0n ? c % (total + 1n) : 0n;
        const applied = noteAmount > d ? d : noteAmount;
        const postings = [
          invoiceIssuedPosting(issued),
          invoiceVoidedPosting(issued),
          invoiceIssuedPosting(credit),
          paymentAppliedPosting('USD', usd(b)),
          paymentCreditPosting('USD', usd(c)),
          paymentRefundedPosting('USD', usd(c + d), usd(d)),
          creditNoteIssuedPosting(
            { currency: 'USD', amount: usd(noteAmount), amountApplied: usd(applied), creditAmount: usd(noteAmount - applied) },
            lineRevenues.map((x) => schedule(usd(x))),
            { remaining: usd(remainingBefore), total: usd(remainingBefore) },
            { remaining: usd(remainingBefore - (total > 0n ? noteAmount : 0n)), total: usd(remainingBefore) },
          ),
        ];
        for (const posting of postings) expect(debits(posting).equals(credits(posting))).toBe(true);
        // A negative total never credits accounts receivable: it is customer credit.
        expect(invoiceIssuedPosting(credit).lines.some((line) => line.account === 'accounts_receivable' && line.credit !== '0.00')).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('leaves out zero lines', () => {
    expect(postingOf('USD', [['cash', Money.zero('USD')]]).lines).toEqual([]);
  });
});
