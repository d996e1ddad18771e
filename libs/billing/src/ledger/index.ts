export * from './recognition';
export * from './journal';
