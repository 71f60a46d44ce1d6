import * as path from 'node:path';

/** The package's version, read once from its package.json (dist/src/shared → the package root). */
export const PACKAGE_VERSION: string = readVersion();

function readVersion(): string {
  try {
    return (require(path.join(__dirname, '..', '..', '..', 'package.json')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}
