import { Controller, Get, Header, Inject } from '@nestjs/common';
import { Runtime, RUNTIME } from '@accrual/platform';
import { readCheckpoint } from '@accrual/read-models';
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
    const head = await this.runtime.eventStore.headPosition();
    const checkpoint = this.runtime.projector?.checkpoint ?? (await readCheckpoint(this.runtime.sql));
    this.metrics.projectionLag.set(Number(head - checkpoint));
    return {
      status: 'ok',
      eventStore: this.runtime.eventStore.name,
      database: this.runtime.sql.kind,
      log: { headPosition: head.toString() },
      projector: { checkpoint: checkpoint.toString(), lagEvents: (head - checkpoint).toString() },
    };
  }

  @Get('metrics')
  @RequiresAccess('public')
  @Header('Content-Type', 'text/plain; version=0.0.4')
  async prometheus(): Promise<string> {
    const head = await this.runtime.eventStore.headPosition();
    const checkpoint = this.runtime.projector?.checkpoint ?? (await readCheckpoint(this.runtime.sql));
    this.metrics.projectionLag.set(Number(head - checkpoint));
    return this.metrics.registry.metrics();
  }
}
