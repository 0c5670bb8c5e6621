export * from './errors.js';
export * from './contract.js';
