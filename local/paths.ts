import * as path from 'node:path';
import { projectRoot } from '../lib/project-root';

export const PROJECT_ROOT = projectRoot();
/**
 * Everything the local cloud writes: stack.json, auth, logs, persisted data. The
 * end-to-end tests point JOBQUEUE_LOCAL_DIR elsewhere so they never clobber a developer's
 * running instance.
 */
export const LOCAL_DIRECTORY = path.resolve(PROJECT_ROOT, process.env.JOBQUEUE_LOCAL_DIR ?? '.local');
