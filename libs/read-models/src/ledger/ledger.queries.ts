import { LEDGER_ACCOUNTS, LedgerAccount, previousDay, recognizedAmount } from '@accrual/billing';
import { Money } from '@accrual/money';
import { SqlExecutor } from '@accrual/database';
import { LIVE_SCHEMA } from '../schema';

/** `GET /v1/reports/revenue` (docs/reporting.md, "Revenue recognition"). */
export interface RevenueReport {
  billed: string;
  recognized: string;
  deferredAtEnd: string;
}

/** `GET /v1/reports/trial-balance` (docs/reporting.md, "Trial balance"). */
export interface TrialBalance {
  accounts: { account: LedgerAccount; debit: string; credit: string }[];
  totalDebit: string;
  totalCredit: string;
}

/** Lines read per page while recognition is summed, and the most pages one report reads. */
export const RECOGNITION_PAGE_SIZE = 1000;
export const RECOGNITION_PAGES_MAX = 10_000;

/**
 * Revenue for the UTC days [from, to]: billed is what issues, voids and credit notes of those days
 * moved into deferred revenue; recognized is R(to) − R(from − 1); deferred at end is the
 * deferred revenue balance at the end of `to`.
 */
export async function queryRevenue(sql: SqlExecutor, from: string, to: string, currency: string, schema = LIVE_SCHEMA): Promise<RevenueReport> {
  const billed = await deferredMovement(sql, currency, from, to, schema);
  const recognizedThroughTo = await recognizedAsOf(sql, currency, to, schema);
  const recognizedBeforeFrom = await recognizedAsOf(sql, currency, previousDay(from), schema);
  const billedThroughTo = await deferredMovement(sql, currency, null, to, schema);
  return {
    billed: billed.toString(),
    recognized: recognizedThroughTo.minus(recognizedBeforeFrom).toString(),
    deferredAtEnd: billedThroughTo.minus(recognizedThroughTo).toString(),
  };
}

/**
 * The trial balance at the end of `asOf`: the journal entries effective on or before it, plus
 * the recognition transfer R(asOf) from deferred revenue to revenue. Each account shows its net
 * balance on its side; debits equal credits or this throws (a broken invariant, not a 4xx).
 */
export async function queryTrialBalance(sql: SqlExecutor, asOf: string, currency: string, schema = LIVE_SCHEMA): Promise<TrialBalance> {
  const rows = await sql.query<{ account: LedgerAccount; debit: string; credit: string }>(
    `select account, sum(debit)::text as debit, sum(credit)::text as credit from ${schema}.journal_entries
     where currency = $1 and effective_day <= $2 group by account`,
    [currency, asOf],
  );
  const net = new Map<LedgerAccount, Money>(LEDGER_ACCOUNTS.map((account) => [account, Money.zero(currency)]));
  for (const row of rows.rows) {
    net.set(row.account, Money.of(row.debit, currency).minus(Money.of(row.credit, currency)));
  }
  const recognized = await recognizedAsOf(sql, currency, asOf, schema);
  net.set('deferred_revenue', (net.get('deferred_revenue') as Money).plus(recognized));
  net.set('revenue', (net.get('revenue') as Money).minus(recognized));
  return trialBalanceOf(currency, net);
}

function trialBalanceOf(currency: string, net: ReadonlyMap<LedgerAccount, Money>): TrialBalance {
  const zero = Money.zero(currency);
  let totalDebit = zero;
  let totalCredit = zero;
  const accounts = LEDGER_ACCOUNTS.map((account) => {
    const balance = net.get(account) ?? zero;
    const debit = balance.isPositive() ? balance : zero;
    const credit = balance.isNegative() ? balance.negated() : zero;
    totalDebit = totalDebit.plus(debit);
    totalCredit = totalCredit.plus(credit);
    return { account, debit: debit.toString(), credit: credit.toString() };
  });
  if (!totalDebit.equals(totalCredit)) {
    throw new Error(`trial balance in ${currency} does not balance: debits ${totalDebit}, credits ${totalCredit}`);
  }
  return { accounts, totalDebit: totalDebit.toString(), totalCredit: totalCredit.toString() };
}

/** Credits less debits to deferred revenue by journal entries in [from, to] (from null: ever). */
async function deferredMovement(sql: SqlExecutor, currency: string, from: string | null, to: string, schema: string): Promise<Money> {
  const result = await sql.query<{ movement: string | null }>(
    `select sum(credit - debit)::text as movement from ${schema}.journal_entries
     where currency = $1 and account = 'deferred_revenue' and effective_day <= $2 and ($3::text is null or effective_day >= $3::text)`,
    [currency, to, from],
  );
  return Money.of(result.rows[0]?.movement ?? '0', currency);
}

interface RecognitionRow {
  invoice_id: string;
  line_id: string;
  revenue_amount: string;
  first_service_day: string;
  last_service_day: string;
  issued_day: string;
  total: string;
  credited: string;
}

/**
 * R(day): revenue recognized through the end of `day` over every line of invoices issued on or
 * before it and not void on it, each scaled by what credit notes of that day or earlier left.
 * Read page by page, keyed by (invoice, line), so memory stays bounded.
 */
export async function recognizedAsOf(sql: SqlExecutor, currency: string, day: string, schema = LIVE_SCHEMA): Promise<Money> {
  let recognized = Money.zero(currency);
  let after: [string, string] = ['', ''];
  for (let page = 0; page < RECOGNITION_PAGES_MAX; page += 1) {
    const rows = await recognitionPage(sql, currency, day, after, schema);
    for (const row of rows) {
      const schedule = {
        revenueAmount: Money.of(row.revenue_amount, currency).toString(),
        currency,
        firstServiceDay: row.first_service_day,
        lastServiceDay: row.last_service_day,
        issuedDay: row.issued_day,
      };
      const total = Money.of(row.total, currency);
      const share = { remaining: total.minus(Money.of(row.credited, currency)).toString(), total: total.toString() };
      recognized = recognized.plus(recognizedAmount(schedule, share, day));
    }
    const last = rows[rows.length - 1];
    if (rows.length < RECOGNITION_PAGE_SIZE || !last) return recognized;
    after = [last.invoice_id, last.line_id];
  }
  throw new Error(`more than ${RECOGNITION_PAGES_MAX * RECOGNITION_PAGE_SIZE} invoice lines in ${currency}; raise the bound`);
}

async function recognitionPage(sql: SqlExecutor, currency: string, day: string, after: [string, string], schema: string): Promise<RecognitionRow[]> {
  const result = await sql.query<RecognitionRow>(
    `select r.invoice_id, r.line_id, r.revenue_amount::text as revenue_amount, r.first_service_day, r.last_service_day, r.issued_day,
            i.total::text as total,
            coalesce((select sum(c.amount) from ${schema}.ledger_invoice_credits c
                      where c.invoice_id = r.invoice_id and c.credited_day <= $2), 0)::text as credited
       from ${schema}.ledger_recognition_lines r join ${schema}.ledger_invoices i on i.id = r.invoice_id
      where r.currency = $1 and r.issued_day <= $2 and (i.voided_day is null or i.voided_day > $2)
        and (r.invoice_id, r.line_id) > ($3, $4)
      order by r.invoice_id, r.line_id
      limit ${RECOGNITION_PAGE_SIZE}`,
    [currency, day, after[0], after[1]],
  );
  return result.rows;
}
