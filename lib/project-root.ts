import { existsSync } from 'node:fs';
import * as path from 'node:path';

/**
 * The folder holding cdk.json: the CDK CLI, `npm start` and Jest all run from inside the
 * project. (Found from the working directory because this code runs both as ESM under
 * the CDK CLI and as CommonJS under Jest, so neither __dirname nor import.meta works in both.)
 */
export const projectRoot = (start: string = process.cwd()): string => {
  let folder = path.resolve(start);
  while (!existsSync(path.join(folder, 'cdk.json'))) {
    const parent = path.dirname(folder);
    if (parent === folder) throw new Error(`No cdk.json found above ${start}`);
    folder = parent;
  }
  return folder;
};
