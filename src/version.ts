// The package version, read once at start (src/ and dist/ both sit one level below package.json).

import { createRequire } from 'node:module';

const pkg = createRequire(import.meta.url)('../package.json') as { version: string };

export const VERSION: string = pkg.version;
