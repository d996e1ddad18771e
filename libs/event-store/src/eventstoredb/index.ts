export * from './eventstoredb-event-store';
export { EventStoreDbSubscription } from './eventstoredb-subscription';
