export * from './config';
export * from './event-ids';
export * from './command-handling';
export * from './runtime';
export * from './idempotency-store';
export * from './personal-data';
export * from './personal-data-crypto';
export * from './card-data';
