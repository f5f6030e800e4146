export * from './errors';
export * from './base58';
export * from './keys';
export * from './tower';
export * from './tower-lockouts';
export * from './tower-codec';
