import * as path from 'node:path';
import { projectRoot } from '../lib/project-root';

export const PROJECT_ROOT = projectRoot();
/** Everything the local cloud writes: stack.json, auth, logs, persisted data. */
export const LOCAL_DIRECTORY = path.join(PROJECT_ROOT, '.local');
