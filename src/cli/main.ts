#!/usr/bin/env node
import { silenceIpServerNameWarning } from '../common/warnings.js';
import { main } from './program.js';

silenceIpServerNameWarning();
main(process.argv.slice(2)).then((code) => process.exit(code));
