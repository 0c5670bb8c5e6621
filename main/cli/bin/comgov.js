#!/usr/bin/env node
// Entry point of the `comgov` command: runs the TypeScript CLI through tsx's loader.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../comgov.ts');
process.exitCode = await main(process.argv);
