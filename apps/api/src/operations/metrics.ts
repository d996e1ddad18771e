import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Prometheus metrics of one process, on its own registry (tests start many apps in one process).
 * Request metrics are labelled by route pattern (`/v1/customers/:id`), never by raw URL, so a
 * client cannot blow up the label set.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'accrual_http_requests_total',
    help: 'HTTP requests answered, by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly requestDuration = new Histogram({
    name: 'accrual_http_request_duration_seconds',
    help: 'HTTP request latency, by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly eventsAppended = new Counter({
    name: 'accrual_events_appended_total',
    help: 'Events this process appended to the log',
    registers: [this.registry],
  });
  readonly appends = new Counter({
    name: 'accrual_appends_total',
    help: 'Append calls this process made to the event store (each atomic, one or more events)',
    registers: [this.registry],
  });
  readonly logHeadPosition = new Gauge({
    name: 'accrual_log_head_position',
    help: 'Position of the last committed event of the log',
    registers: [this.registry],
  });
  readonly projectionLag = new Gauge({
    name: 'accrual_projection_lag_events',
    help: 'Log head position minus the read models checkpoint',
    registers: [this.registry],
  });
  readonly projectionLagMs = new Gauge({
    name: 'accrual_projection_lag_ms',
    help: 'How long the oldest log event not yet applied to the read models has waited (0 when caught up)',
    registers: [this.registry],
  });
  readonly relayLag = new Gauge({
    name: 'accrual_relay_lag_events',
    help: 'Log head position minus the Kafka relay checkpoint (only when KAFKA_BROKERS is set)',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
