import { Controller, Get, Header, Inject } from '@nestjs/common';
import { Runtime, RUNTIME } from '@accrual/platform';
import { ProjectionLag, projectionLag, readCheckpoint } from '@accrual/read-models';
import { RequiresAccess } from '../http/access';
import { Metrics } from './metrics';

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
    await this.observeLag();
    return this.metrics.registry.metrics();
  }

  /** Reads the projector's lag and sets both lag gauges. */
  private async observeLag(): Promise<ProjectionLag> {
    const checkpoint = this.runtime.projector?.checkpoint ?? (await readCheckpoint(this.runtime.sql));
    const lag = await projectionLag(this.runtime.eventStore, checkpoint, this.runtime.clock());
    this.metrics.projectionLag.set(Number(lag.events));
    this.metrics.projectionLagMs.set(lag.ms);
    return lag;
  }
}
