#!/usr/bin/env node
// The `tijori` command. A committed shim (not dist/cli.js itself) so that npm can
// link it at install time, before the first build has produced dist/.
import '../dist/cli.js';
