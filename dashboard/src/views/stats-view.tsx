import type { StatsView as Stats } from 'jobqueue/client';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ErrorMessage } from '../components/error-message';
import { LineChart, type Series } from '../components/line-chart';
import { useApp } from '../context';
import { formatDuration, utcDay } from '../format';

const DAY_MS = 86_400_000;
/** Each day is one request: a month keeps the page quick. */
const MAX_DAYS = 31;
const formatCount = (value: number) => String(Math.round(value));

const daysOf = (from: string, to: string): string[] => {
  const days: string[] = [];
  for (let time = Date.parse(`${from}T00:00:00Z`); time <= Date.parse(`${to}T00:00:00Z`); time += DAY_MS) {
    days.push(utcDay(time));
  }
  return days;
};

/** Throughput and average duration per type, a point per UTC day of the chosen range. */
export const StatsView = () => {
  const { client, session } = useApp();
  const today = utcDay(Date.now());
  const [range, setRange] = useState({ from: utcDay(Date.now() - 6 * DAY_MS), to: today });
  const [data, setData] = useState<{ days: string[]; perDay: Stats[]; total: Stats } | undefined>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(false);

  const days = daysOf(range.from, range.to);
  const rangeError =
    range.from > range.to
      ? 'The range must start on or before its end.'
      : days.length > MAX_DAYS
        ? `Choose at most ${MAX_DAYS} days (one request a day).`
        : '';

  useEffect(() => {
    if (rangeError) return;
    let stale = false;
    setLoading(true);
    void (async () => {
      try {
        const [total, ...perDay] = await Promise.all([
          client.stats(range),
          ...days.map((day) => client.stats({ from: day, to: day })),
        ]);
        if (!stale && total) setData({ days, perDay, total });
        if (!stale) setError(undefined);
      } catch (failure) {
        if (!stale) setError(failure);
      } finally {
        if (!stale) setLoading(false);
      }
    })();
    return () => {
      stale = true;
    };
  }, [client, range.from, range.to, rangeError]);

  const charts = useMemo(() => {
    if (!data) return undefined;
    const types = Object.keys(data.total.byType).sort();
    const x = data.days.map((day) => Date.parse(`${day}T00:00:00Z`) / 1000);
    const throughput: Series[] = types.map((type) => ({
      label: type,
      values: data.perDay.map((stats) => stats.byType[type]?.completed ?? 0),
    }));
    const duration: Series[] = types.map((type) => ({
      label: type,
      values: data.perDay.map((stats) => stats.byType[type]?.avgDurationMs ?? null),
    }));
    return { types, x, throughput, duration };
  }, [data]);

  return (
    <section aria-labelledby="stats-title">
      <h1 id="stats-title">Stats</h1>
      <p>{session.admin ? 'All users’ jobs' : 'Your jobs'}, by UTC day.</p>
      <form class="filters" onSubmit={(event) => event.preventDefault()}>
        <label>
          From
          <input
            type="date"
            value={range.from}
            max={today}
            onChange={(event) =>
              event.currentTarget.value && setRange({ ...range, from: event.currentTarget.value })
            }
          />
        </label>
        <label>
          To
          <input
            type="date"
            value={range.to}
            max={today}
            onChange={(event) =>
              event.currentTarget.value && setRange({ ...range, to: event.currentTarget.value })
            }
          />
        </label>
      </form>
      {rangeError && (
        <p class="error" role="alert">
          {rangeError}
        </p>
      )}
      <ErrorMessage error={error} />
      {data && charts && (
        <div aria-busy={loading}>
          <dl class="facts totals">
            <dt>Submitted</dt>
            <dd>{data.total.totals.submitted}</dd>
            <dt>Completed</dt>
            <dd>{data.total.totals.completed}</dd>
            <dt>Failed</dt>
            <dd>{data.total.totals.failed}</dd>
            <dt>Cancelled</dt>
            <dd>{data.total.totals.cancelled}</dd>
          </dl>
          {charts.types.length === 0 ? (
            <p>No jobs in this range.</p>
          ) : (
            <>
              <h2>Throughput (jobs completed per day)</h2>
              <LineChart
                title="Jobs completed per day, by type"
                x={charts.x}
                series={charts.throughput}
                format={formatCount}
                integer
              />
              <h2>Average duration</h2>
              <LineChart
                title="Average duration per day, by type"
                x={charts.x}
                series={charts.duration}
                format={formatDuration}
              />
              <table>
                <caption>By type, whole range</caption>
                <thead>
                  <tr>
                    <th scope="col">Type</th>
                    <th scope="col">Completed</th>
                    <th scope="col">Failed</th>
                    <th scope="col">Average duration</th>
                  </tr>
                </thead>
                <tbody>
                  {charts.types.map((type) => (
                    <tr key={type}>
                      <th scope="row">{type}</th>
                      <td>{data.total.byType[type]?.completed ?? 0}</td>
                      <td>{data.total.byType[type]?.failed ?? 0}</td>
                      <td>{formatDuration(data.total.byType[type]?.avgDurationMs)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
        </div>
      )}
    </section>
  );
};
