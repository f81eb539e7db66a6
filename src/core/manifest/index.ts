export * from './range';
export * from './identity';
export * from './parse';
