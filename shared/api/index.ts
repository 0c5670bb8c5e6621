export * from './errors.js';
export * from './contract.js';
export * from './classification.js';
