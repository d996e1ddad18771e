export * from './schema';
export * from './projection';
export * from './projector';
export * from './queries';
