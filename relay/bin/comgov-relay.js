#!/usr/bin/env node
// Entry point of the `comgov-relay` command: runs the TypeScript CLI through
// tsx's loader, so the relay needs no build step on the server.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli.ts');
process.exitCode = await main(process.argv);
