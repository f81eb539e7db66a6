export * from './range';
export * from './identity';
export * from './parse';
export * from './quick';
export * from './list';
export * from './image';
