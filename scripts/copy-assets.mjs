#!/usr/bin/env node
// Copies the dashboard's plain static files (HTML, JS, CSS) next to the compiled server in dist/.
import { cpSync } from 'node:fs';
cpSync('src/dashboard/assets', 'dist/src/dashboard/assets', { recursive: true });
