export * from './postgres-event-store';
export { EVENTS_TABLE, STREAMS_TABLE, SEALS_TABLE, POSITION_SEQUENCE, NOTIFICATION_CHANNEL } from './schema';
