export * from './event-store.port';
export * from './errors';
export * from './sealing';
export { APPEND_EVENTS_MAX, READ_EVENTS_MAX } from './append-rules';
export * from './postgres';
export * from './eventstoredb';
export * from './create-event-store';
