import type { AlarmEntry } from 'jobqueue/client';
import type { AlarmsState } from '../alarms';
import { ErrorMessage } from '../components/error-message';
import { useApp } from '../context';
import { formatTime } from '../format';

const STATE_WORDS: Record<AlarmEntry['state'], string> = {
  ALARM: 'ALARM',
  OK: 'OK',
  INSUFFICIENT_DATA: 'Insufficient data',
};

/** The state in words (never colour alone), coloured too. */
const AlarmStateBadge = ({ state }: { state: AlarmEntry['state'] }) => (
  <span class={`badge alarm-${state.toLowerCase().replace('_', '-')}`} data-state={state}>
    {STATE_WORDS[state]}
  </span>
);

const metricText = (alarm: AlarmEntry): string => {
  if (!alarm.metric) return '';
  const dimensions = Object.entries(alarm.metric.dimensions ?? {})
    .map(([name, value]) => `${name}=${value}`)
    .join(', ');
  return `${alarm.metric.namespace} ${alarm.metric.name}${dimensions ? ` (${dimensions})` : ''}`;
};

const COMPARISON_WORDS: Record<string, string> = {
  GreaterThanThreshold: '>',
  GreaterThanOrEqualToThreshold: '≥',
  LessThanThreshold: '<',
  LessThanOrEqualToThreshold: '≤',
};

/** Admins: the stack's CloudWatch alarms, those in ALARM first, with why and since when. */
export const AlarmsView = ({ state }: { state: AlarmsState }) => {
  const { session } = useApp();
  if (!session.admin) {
    return (
      <section>
        <h1>Alarms</h1>
        <p>Alarms are for administrators (the `admin` group).</p>
      </section>
    );
  }
  const { alarms, error, loadedAt, refresh } = state;
  const count = (wanted: AlarmEntry['state']) =>
    alarms?.filter((alarm) => alarm.state === wanted).length ?? 0;
  return (
    <section aria-labelledby="alarms-title">
      <h1 id="alarms-title">Alarms</h1>
      <ErrorMessage error={error} />
      {alarms && (
        <p class="alarm-summary">
          {/* Only the counts are announced: the read time changes every 30 s. */}
          <span aria-live="polite" data-testid="alarm-summary">
            {count('ALARM')} in alarm, {count('OK')} OK, {count('INSUFFICIENT_DATA')} with insufficient data.
          </span>{' '}
          <span class="hint">
            Read {loadedAt ? new Date(loadedAt).toLocaleTimeString() : '—'}; read again every 30 s.
          </span>{' '}
          <button type="button" onClick={() => void refresh()}>
            Refresh
          </button>
        </p>
      )}
      {!alarms && !error && <p>Loading…</p>}
      {alarms && alarms.length === 0 && <p>The stack has no alarms.</p>}
      {alarms && alarms.length > 0 && (
        <table class="alarms">
          <caption class="visually-hidden">Alarms, those in ALARM first</caption>
          <thead>
            <tr>
              <th scope="col">State</th>
              <th scope="col">Alarm</th>
              <th scope="col">Reason</th>
              <th scope="col">Since</th>
            </tr>
          </thead>
          <tbody>
            {alarms.map((alarm) => (
              <tr key={alarm.name} data-alarm={alarm.name} data-state={alarm.state}>
                <td>
                  <AlarmStateBadge state={alarm.state} />
                </td>
                <th scope="row">
                  {alarm.description || alarm.name}
                  <div class="small hint">
                    {metricText(alarm)} {COMPARISON_WORDS[alarm.comparison] ?? alarm.comparison}{' '}
                    {alarm.threshold}
                  </div>
                  <div class="small hint">{alarm.name}</div>
                </th>
                <td data-field="reason">{alarm.reason}</td>
                <td data-field="since">
                  <time dateTime={alarm.since}>{formatTime(alarm.since)}</time>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
};
