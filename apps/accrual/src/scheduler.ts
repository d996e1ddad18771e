import { CommandContext } from '@accrual/platform';
import { randomUUID } from 'node:crypto';

/** How often the scheduler asks for a billing run at the wall clock's "now". */
export const SCHEDULER_INTERVAL_MS = 60_000;

export interface BillingRunner {
  run(asOf: number, context: CommandContext): Promise<{ invoiceIds: string[] }>;
}

/**
 * With ACCRUAL_SCHEDULER=on, billing runs happen by themselves: every minute, a run at the wall
 * clock's now bills whatever has come due. The actor on its events is `scheduler`.
 */
export class BillingScheduler {
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(
    private readonly runner: BillingRunner,
    private readonly clock: () => number,
    private readonly intervalMs = SCHEDULER_INTERVAL_MS,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const now = this.clock();
    const id = randomUUID();
    const context: CommandContext = {
      actor: 'scheduler',
      role: 'admin',
      correlationId: id,
      causationId: null,
      requestId: id,
      receivedAtMs: now,
    };
    try {
      const outcome = await this.runner.run(now, context);
      if (outcome.invoiceIds.length > 0) {
        console.log(JSON.stringify({ level: 'info', msg: 'scheduled billing run', invoices: outcome.invoiceIds.length }));
      }
    } catch (error) {
      console.error(JSON.stringify({ level: 'error', msg: 'scheduled billing run failed', error: String(error) }));
    } finally {
      this.running = false;
    }
  }
}
