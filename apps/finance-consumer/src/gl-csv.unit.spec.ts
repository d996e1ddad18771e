import { csvField, toCsv, trialBalanceOf, unbalancedDays } from './gl-csv';

describe('general-ledger CSV (RFC 4180)', () => {
  it('writes a header and CRLF-terminated records', () => {
    const csv = toCsv(['date', 'account', 'currency', 'debit', 'credit'], [
      { date: '2033-01-01', account: 'cash', currency: 'USD', debit: '10.00', credit: '0.00' },
      { date: '2033-01-01', account: 'accounts_receivable', currency: 'USD', debit: '0.00', credit: '10.00' },
    ]);
    expect(csv).toBe('date,account,currency,debit,credit\r\n2033-01-01,cash,USD,10.00,0.00\r\n2033-01-01,accounts_receivable,USD,0.00,10.00\r\n');
  });

  it('quotes only fields with a comma, a double quote or a line break, doubling inner quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\r')).toBe('"cr\r"');
    expect(csvField('')).toBe('');
  });

  it('writes just the header for no rows', () => {
    expect(toCsv(['date', 'credit'], [])).toBe('date,credit\r\n');
  });
});

describe('balance checks', () => {
  it('finds the days whose debits and credits differ, per currency', () => {
    const rows = [
      { date: '2033-01-01', account: 'cash', currency: 'USD', debit: '10.00', credit: '0.00' },
      { date: '2033-01-01', account: 'accounts_receivable', currency: 'USD', debit: '0.00', credit: '10.00' },
      { date: '2033-01-01', account: 'cash', currency: 'EUR', debit: '5.00', credit: '0.00' },
      { date: '2033-01-02', account: 'cash', currency: 'USD', debit: '1.00', credit: '0.00' },
      { date: '2033-01-02', account: 'revenue', currency: 'USD', debit: '0.00', credit: '0.99' },
    ];
    expect(unbalancedDays(rows)).toEqual([
      { date: '2033-01-01', currency: 'EUR', debit: '5.00', credit: '0.00' },
      { date: '2033-01-02', currency: 'USD', debit: '1.00', credit: '0.99' },
    ]);
    expect(unbalancedDays(rows.slice(0, 2))).toEqual([]);
  });

  it('nets each account onto its side and checks the totals', () => {
    const balance = trialBalanceOf('2033-01-31', 'USD', [
      { account: 'accounts_receivable', debit: '110.00', credit: '60.00' },
      { account: 'cash', debit: '60.00', credit: '0.00' },
      { account: 'deferred_revenue', debit: '0', credit: '100.00' },
      { account: 'tax_payable', debit: '0.00', credit: '10.00' },
    ]);
    expect(balance).toEqual({
      asOf: '2033-01-31',
      currency: 'USD',
      accounts: [
        { account: 'accounts_receivable', debit: '50.00', credit: '0.00' },
        { account: 'cash', debit: '60.00', credit: '0.00' },
        { account: 'customer_credit', debit: '0.00', credit: '0.00' },
        { account: 'deferred_revenue', debit: '0.00', credit: '100.00' },
        { account: 'revenue', debit: '0.00', credit: '0.00' },
        { account: 'tax_payable', debit: '0.00', credit: '10.00' },
      ],
      totalDebit: '110.00',
      totalCredit: '110.00',
      balanced: true,
    });
    expect(trialBalanceOf('2033-01-31', 'USD', [{ account: 'cash', debit: '1.00', credit: '0.00' }]).balanced).toBe(false);
    expect(() => trialBalanceOf('2033-01-31', 'USD', [{ account: 'petty_cash', debit: '1.00', credit: '0.00' }])).toThrow(/unknown account/);
  });
});
