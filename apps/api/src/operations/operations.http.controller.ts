import { Controller, Get, Header, Inject } from '@nestjs/common';
import { Runtime, RUNTIME } from '@accrual/platform';
import { ProjectionLag, projectionLag, readCheckpoint } from '@accrual/read-models';
import { RequiresAccess } from '../http/access';
import { Metrics } from './metrics';

/** The relay's default checkpoint row (`apps/relay/src/kafka-relay.ts`, `checkpointName`). */
const RELAY_CHECKPOINT_NAME = 'kafka';

/** Liveness and metrics: no auth (CONTRACT §1). */
@Controller()
export class OperationsHttpController {
  constructor(
    @Inject(RUNTIME) private readonly runtime: Runtime,
    private readonly metrics: Metrics,
  ) {}

  @Get('health')
  @RequiresAccess('public')
  async health(): Promise<unknown> {
    const lag = await this.observeLag();
    return {
      status: 'ok',
      eventStore: this.runtime.eventStore.name,
      database: this.runtime.sql.kind,
      log: { headPosition: lag.headPosition.toString() },
      projector: { checkpoint: lag.checkpoint.toString(), lagEvents: lag.events.toString(), lagMs: lag.ms },
    };
  }

  @Get('metrics')
  @RequiresAccess('public')
  @Header('Content-Type', 'text/plain; version=0.0.4')
  async prometheus(): Promise<string> {
    const lag = await this.observeLag();
    await this.observeRelayLag(lag.headPosition);
    return this.metrics.registry.metrics();
  }

  /** Reads the projector's lag and sets both lag gauges. */
  private async observeLag(): Promise<ProjectionLag> {
    const checkpoint = this.runtime.projector?.checkpoint ?? (await readCheckpoint(this.runtime.sql));
    const lag = await projectionLag(this.runtime.eventStore, checkpoint, this.runtime.clock());
    this.metrics.logHeadPosition.set(Number(lag.headPosition));
    this.metrics.projectionLag.set(Number(lag.events));
    this.metrics.projectionLagMs.set(lag.ms);
    return lag;
  }

  /**
   * The relay keeps its checkpoint in the shared database (`relay.checkpoints`), so this reads it
   * whether the relay runs in this process (`npm start`) or its own. Without KAFKA_BROKERS there
   * is no relay and no gauge value.
   */
  private async observeRelayLag(headPosition: bigint): Promise<void> {
    if (this.runtime.config.kafkaBrokers.length === 0) return;
    const table = await this.runtime.sql.query<{ name: string | null }>(`select to_regclass('relay.checkpoints')::text as name`);
    if (!table.rows[0]?.name) return;
    const result = await this.runtime.sql.query<{ position: string }>('select position::text as position from relay.checkpoints where name = $1', [
      RELAY_CHECKPOINT_NAME,
    ]);
    const checkpoint = BigInt(result.rows[0]?.position ?? '0');
    this.metrics.relayLag.set(Number(headPosition > checkpoint ? headPosition - checkpoint : 0n));
  }
}
