#!/usr/bin/env node
// The cairn executable's entry point: the compiled CLI lives in dist/ (npm run build).
import { main } from '../dist/src/cli/main.js';

process.exitCode = await main(process.argv.slice(2), import.meta.url);
