import type { DeadLetter, Priority, QueueEntry } from 'jobqueue/client';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { PRIORITIES } from '../../../lambdas/core/priority';
import { ChoiceSelect } from '../components/choice-select';
import { ConfirmDialog } from '../components/confirm-dialog';
import { ErrorMessage } from '../components/error-message';
import { useApp } from '../context';
import { formatTime } from '../format';
import { JOB_TYPES } from './jobs-view';

const RETRYABLE_STATUSES = ['failed', 'cancelled'] as const;

type Pending =
  | { kind: 'purge'; priority: Priority; count: number }
  | { kind: 'redrive'; priority: Priority; count: number }
  | {
      kind: 'retry';
      status: (typeof RETRYABLE_STATUSES)[number];
      type: string;
      priority: '' | Priority;
      limit: number;
    };

type DeadLetters = DeadLetter[];

/** Admins: depths per priority, pause and resume, the dead letters, bulk retry. */
export const QueuesView = () => {
  const { client, session } = useApp();
  const [queues, setQueues] = useState<QueueEntry[] | undefined>();
  const [error, setError] = useState<unknown>();
  const [actionError, setActionError] = useState<unknown>();
  const [notice, setNotice] = useState('');
  const [pending, setPending] = useState<Pending | undefined>();
  const [peeked, setPeeked] = useState<{ priority: Priority; messages: DeadLetters } | undefined>();
  const [retry, setRetry] = useState<Omit<Extract<Pending, { kind: 'retry' }>, 'kind'>>({
    status: 'failed',
    type: '',
    priority: '',
    limit: 100,
  });

  const load = useCallback(async () => {
    try {
      setQueues(await client.queues());
      setError(undefined);
    } catch (failure) {
      setError(failure);
    }
  }, [client]);

  useEffect(() => {
    void load();
    // Queue depths are SQS attributes, not pushed: poll them.
    const timer = setInterval(() => void load(), 5000);
    return () => clearInterval(timer);
  }, [load]);

  const run = async (what: () => Promise<string>) => {
    setActionError(undefined);
    setNotice('');
    try {
      const done = await what();
      // The table shows the outcome by the time the notice announces it.
      await load();
      setNotice(done);
    } catch (failure) {
      setActionError(failure);
    }
  };

  const confirm = async () => {
    const action = pending;
    setPending(undefined);
    if (!action) return;
    if (action.kind === 'purge') {
      await run(async () => {
        const { purged } = await client.dlq.purge(action.priority);
        setPeeked(undefined);
        return `Purged ${purged} message(s) from the ${action.priority} dead-letter queue.`;
      });
    } else if (action.kind === 'redrive') {
      await run(async () => {
        const { moved } = await client.dlq.redrive(action.priority);
        setPeeked(undefined);
        return `Moved ${moved} message(s) from the ${action.priority} dead-letter queue back to its queue.`;
      });
    } else {
      await run(async () => {
        const { retried } = await client.retryJobs({
          status: action.status,
          limit: action.limit,
          ...(action.type ? { type: action.type } : {}),
          ...(action.priority ? { priority: action.priority } : {}),
        });
        return `Retried ${retried} ${action.status} job(s).`;
      });
    }
  };

  if (!session.admin) {
    return (
      <section>
        <h1>Queues</h1>
        <p>Queues are for administrators (the `admin` group).</p>
      </section>
    );
  }
  return (
    <section aria-labelledby="queues-title">
      <h1 id="queues-title">Queues</h1>
      <ErrorMessage error={error} />
      <table class="queues">
        <caption class="visually-hidden">Queues by priority</caption>
        <thead>
          <tr>
            <th scope="col">Priority</th>
            <th scope="col">State</th>
            <th scope="col">Waiting</th>
            <th scope="col">In flight</th>
            <th scope="col">Delayed</th>
            <th scope="col">Dead letters</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {queues?.map((queue) => (
            <tr key={queue.priority} data-priority={queue.priority}>
              <th scope="row">{queue.priority}</th>
              <td data-field="state">{queue.paused ? 'paused' : 'running'}</td>
              <td>{queue.waiting}</td>
              <td>{queue.inFlight}</td>
              <td>{queue.delayed}</td>
              <td data-field="dlq">{queue.dlq}</td>
              <td class="row-actions">
                {queue.paused ? (
                  <button
                    type="button"
                    onClick={() =>
                      void run(async () => {
                        await client.resumeQueue(queue.priority);
                        return `The ${queue.priority} queue runs again.`;
                      })
                    }
                  >
                    Resume {queue.priority}
                  </button>
                ) : (
                  <button
                    type="button"
                    onClick={() =>
                      void run(async () => {
                        await client.pauseQueue(queue.priority);
                        return `The ${queue.priority} queue is paused: its jobs wait until it is resumed.`;
                      })
                    }
                  >
                    Pause {queue.priority}
                  </button>
                )}
                <button
                  type="button"
                  onClick={() =>
                    void run(async () => {
                      const messages = await client.dlq.peek(queue.priority, { limit: 10 });
                      setPeeked({ priority: queue.priority, messages });
                      return `${messages.length} dead letter(s) shown for ${queue.priority}.`;
                    })
                  }
                >
                  Peek {queue.priority} DLQ
                </button>
                <button
                  type="button"
                  disabled={queue.dlq === 0}
                  onClick={() => setPending({ kind: 'redrive', priority: queue.priority, count: queue.dlq })}
                >
                  Redrive {queue.priority} DLQ
                </button>
                <button
                  type="button"
                  class="danger"
                  disabled={queue.dlq === 0}
                  onClick={() => setPending({ kind: 'purge', priority: queue.priority, count: queue.dlq })}
                >
                  Purge {queue.priority} DLQ
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <ErrorMessage error={actionError} />
      <p role="status" class="notice">
        {notice}
      </p>
      {peeked && (
        <section aria-labelledby="peek-title">
          <h2 id="peek-title">Dead letters of {peeked.priority} (nothing removed)</h2>
          {peeked.messages.length === 0 ? (
            <p>None.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">Job</th>
                  <th scope="col">Receives</th>
                  <th scope="col">Sent</th>
                </tr>
              </thead>
              <tbody>
                {peeked.messages.map((message, index) => (
                  <tr key={`${message.jobId}-${index}`}>
                    <td>
                      {message.jobId ? (
                        <a class="mono" href={`#/jobs/${message.jobId}`}>
                          {message.jobId}
                        </a>
                      ) : (
                        'not a job message'
                      )}
                    </td>
                    <td>{message.receiveCount}</td>
                    <td>{formatTime(message.sentAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}
      <section aria-labelledby="retry-title">
        <h2 id="retry-title">Retry jobs in bulk</h2>
        <form
          class="filters"
          onSubmit={(event) => {
            event.preventDefault();
            setPending({ kind: 'retry', ...retry });
          }}
        >
          <ChoiceSelect
            label="Status"
            value={retry.status}
            choices={RETRYABLE_STATUSES}
            // No "any" choice: the bulk retry needs a status, so the value is never empty.
            onChange={(status) => status && setRetry({ ...retry, status })}
          />
          <ChoiceSelect
            label="Type"
            value={retry.type}
            choices={JOB_TYPES}
            any
            onChange={(type) => setRetry({ ...retry, type })}
          />
          <ChoiceSelect
            label="Priority"
            value={retry.priority}
            choices={PRIORITIES}
            any
            onChange={(priority) => setRetry({ ...retry, priority })}
          />
          <label>
            At most
            <input
              type="number"
              min={1}
              max={1000}
              required
              value={retry.limit}
              onInput={(event) => setRetry({ ...retry, limit: Number(event.currentTarget.value) })}
            />
          </label>
          <button type="submit">Retry matching jobs…</button>
        </form>
      </section>
      {pending && (
        <ConfirmDialog
          title={
            pending.kind === 'purge'
              ? `Purge the ${pending.priority} dead-letter queue?`
              : pending.kind === 'redrive'
                ? `Redrive the ${pending.priority} dead-letter queue?`
                : `Retry up to ${pending.limit} ${pending.status} jobs?`
          }
          confirmLabel={pending.kind === 'purge' ? 'Purge' : pending.kind === 'redrive' ? 'Redrive' : 'Retry'}
          onConfirm={() => void confirm()}
          onCancel={() => setPending(undefined)}
        >
          {pending.kind === 'purge' ? (
            <p>
              About {pending.count} message(s) are deleted for good; their jobs will not run again from this
              queue.
            </p>
          ) : pending.kind === 'redrive' ? (
            <p>
              About {pending.count} message(s) go back to the {pending.priority} queue and run again.
            </p>
          ) : (
            <p>
              Every matching job of every user{pending.type ? ` of type ${pending.type}` : ''}
              {pending.priority ? ` with priority ${pending.priority}` : ''} is queued again from attempt 1.
            </p>
          )}
        </ConfirmDialog>
      )}
    </section>
  );
};
