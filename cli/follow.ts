import { SingleBar } from 'cli-progress';
import type { Job, JobFrame, JobProgress } from '../client';
import { isFinished } from '../client';
import type { CliClient } from './context';
import { itemsText, paint, progressText, statusText, type Terminal } from './output';

/** What the progress display shows of a job, updated frame by frame. */
export interface JobState {
  readonly status: string;
  readonly progress?: JobProgress;
  readonly items?: Job['items'];
  readonly attempt?: number;
}

/** The state after `frame`: a snapshot replaces it, a push changes what it carries. */
export const applyFrame = (state: JobState | undefined, frame: JobFrame): JobState => {
  if (frame.type === 'job.snapshot') {
    const { job } = frame;
    return { status: job.status, progress: job.progress, items: job.items, attempt: job.attempts };
  }
  const attempt = typeof frame.attempt === 'number' ? frame.attempt : state?.attempt;
  // A new attempt starts from nothing: the last attempt's progress is not this one's.
  const restarted = frame.type === 'job.status' && frame.status === 'processing';
  return {
    status: frame.status,
    progress: frame.progress ?? (restarted ? undefined : state?.progress),
    items: frame.items ?? state?.items,
    attempt,
  };
};

/** One line for logs (not a TTY): `processing 40% parsing: page 2 of 5 · items 7/20`. */
export const stateLine = (terminal: Pick<Terminal, 'colors'>, state: JobState): string =>
  [statusText(terminal, state.status), progressText(state.progress), itemsText(state.items)]
    .filter(Boolean)
    .join(' · ');

/** How a followed job is shown while it runs. */
export interface ProgressView {
  update(state: JobState): void;
  stop(): void;
}

/** The longest status, `processing`: the bar stays put as the status changes. */
const STATUS_WIDTH = 10;

/** A live bar (cli-progress) with the stage and item counts, for a person at a terminal. */
export const barView = (terminal: Terminal, stream: NodeJS.WritableStream): ProgressView => {
  const bar = new SingleBar({
    stream,
    format: `{status} |{bar}| {percentage}% {detail}`,
    barCompleteChar: '█',
    barIncompleteChar: '░',
    hideCursor: true,
    clearOnComplete: false,
    barsize: 30,
  });
  bar.start(100, 0, { status: 'waiting'.padEnd(STATUS_WIDTH), detail: '' });
  return {
    update: (state) => {
      const percent = state.status === 'completed' ? 100 : (state.progress?.percent ?? 0);
      const detail = [
        state.progress?.stage,
        state.progress?.message,
        itemsText(state.items),
        state.attempt && state.attempt > 1 ? `attempt ${state.attempt}` : '',
      ]
        .filter(Boolean)
        .join(' · ');
      bar.update(Math.max(0, Math.min(100, Math.round(percent))), {
        status: statusText(terminal, state.status, state.status.padEnd(STATUS_WIDTH)),
        detail,
      });
    },
    stop: () => bar.stop(),
  };
};

/** A line per change, for logs and pipes. */
export const lineView = (terminal: Terminal): ProgressView => {
  let last = '';
  return {
    update: (state) => {
      const line = stateLine(terminal, state);
      if (line !== last) terminal.write(`${line}\n`);
      last = line;
    },
    stop: () => undefined,
  };
};

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

/**
 * Follows a job to its end, showing each change on `view`, and returns it as GET shows it
 * then. Over the WebSocket when the client has one (reconnecting as it must), else by
 * reading the job every second. Undefined if `signal` aborted first.
 */
export const followJob = async (
  client: CliClient,
  jobId: string,
  view: ProgressView | undefined,
  options: { live: boolean; signal?: AbortSignal },
): Promise<Job | undefined> => {
  let state: JobState | undefined;
  try {
    if (options.live) {
      for await (const frame of client.watch(jobId, { signal: options.signal })) {
        state = applyFrame(state, frame);
        view?.update(state);
      }
    } else {
      for (;;) {
        const job = await client.get(jobId, { signal: options.signal });
        state = { status: job.status, progress: job.progress, items: job.items, attempt: job.attempts };
        view?.update(state);
        if (isFinished(job)) break;
        await sleep(1000, options.signal);
        if (options.signal?.aborted) break;
      }
    }
  } catch (error) {
    // Ctrl-C while a read was in flight: the same quiet stop as between frames.
    if (!options.signal?.aborted) throw error;
  } finally {
    view?.stop();
  }
  if (options.signal?.aborted) return undefined;
  return client.get(jobId);
};

/** The last line under a finished job's bar. */
export const endLine = (terminal: Terminal, job: Job): string => {
  const took = job.durationMs === undefined ? '' : ` in ${(job.durationMs / 1000).toFixed(1)} s`;
  const error = job.error ? `: ${job.error.code}: ${job.error.message}` : '';
  const mark = job.status === 'completed' ? paint(terminal, 'green', '✔') : paint(terminal, 'red', '✘');
  return `${mark} ${job.jobId} ${statusText(terminal, job.status)}${took}${error}\n`;
};
