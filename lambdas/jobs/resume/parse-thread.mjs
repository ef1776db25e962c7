// The parse thread when running from source (Jest, the local cloud): compile the
// TypeScript with tsx, then run it. In Lambda, `parse-thread.mjs` beside the handler is
// the bundle of parse-thread-main.ts instead (see PARSE_THREAD_FILE in parse-thread.ts).
import { register } from 'tsx/esm/api';

register();
await import('./parse-thread-main.ts');
