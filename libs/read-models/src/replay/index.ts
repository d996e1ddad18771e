export * from './rebuild';
export * from './digest';
