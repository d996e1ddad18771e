import { CommandContext } from '@accrual/platform';
import { BillingScheduler } from './scheduler';

describe('BillingScheduler', () => {
  it('runs billing at the clock it is given, as the scheduler actor', async () => {
    const calls: Array<{ asOf: number; context: CommandContext }> = [];
    const scheduler = new BillingScheduler(
      { run: async (asOf, context) => (calls.push({ asOf, context }), { invoiceIds: [] }) },
      () => Date.UTC(2026, 0, 31),
    );
    await scheduler.tick();
    expect(calls).toHaveLength(1);
    expect(calls[0].asOf).toBe(Date.UTC(2026, 0, 31));
    expect(calls[0].context).toMatchObject({ actor: 'scheduler', role: 'admin', receivedAtMs: Date.UTC(2026, 0, 31) });
  });

  it('never overlaps two runs and survives a failing one', async () => {
    let release: () => void = () => undefined;
    let runs = 0;
    const scheduler = new BillingScheduler(
      {
        run: async () => {
          runs += 1;
          if (runs === 1) await new Promise<void>((resolve) => (release = resolve));
          if (runs === 2) throw new Error('database down');
          return { invoiceIds: [] };
        },
      },
      () => 0,
    );
    const error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const first = scheduler.tick();
    await scheduler.tick();
    expect(runs).toBe(1);
    release();
    await first;
    await scheduler.tick();
    expect(runs).toBe(2);
    expect(error).toHaveBeenCalledTimes(1);
    await scheduler.tick();
    expect(runs).toBe(3);
    error.mockRestore();
  });
});
