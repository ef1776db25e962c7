import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

// Distinguishable on white with ≥ 3:1 contrast (WCAG non-text contrast).
const PALETTE = ['#0b5cad', '#b3261e', '#1b7f3b', '#8a4baf', '#b05a00', '#00707a', '#5c5c5c', '#a0226d'];

const DAY = 86_400;
const DAY_INCREMENTS = [DAY, 2 * DAY, 7 * DAY, 14 * DAY, 28 * DAY];
const COUNT_INCREMENTS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 100_000, 1_000_000];

export interface Series {
  readonly label: string;
  readonly values: (number | null)[];
}

/** A uPlot line chart over days (`x` in seconds since the epoch). */
export const LineChart = ({
  title,
  x,
  series,
  format,
  integer = false,
}: {
  title: string;
  x: number[];
  series: Series[];
  format: (value: number) => string;
  /** Counts: ticks on whole numbers only. */
  integer?: boolean;
}) => {
  const container = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const chart = new uPlot(
      {
        width: Math.max(320, element.clientWidth || 640),
        height: 260,
        series: [
          { label: 'day' },
          ...series.map((entry, index) => ({
            label: entry.label,
            stroke: PALETTE[index % PALETTE.length],
            width: 2,
            points: { show: true },
            value: (_: uPlot, value: number | null) => (value === null ? '—' : format(value)),
          })),
        ],
        axes: [
          {
            // One tick per UTC day at most, labelled as the API counts days (UTC).
            incrs: DAY_INCREMENTS,
            values: (_: uPlot, ticks: number[]) =>
              ticks.map((tick) => new Date(tick * 1000).toISOString().slice(5, 10)),
          },
          {
            values: (_: uPlot, ticks: number[]) => ticks.map(format),
            size: 70,
            ...(integer ? { incrs: COUNT_INCREMENTS } : {}),
          },
        ],
        scales: { x: { time: true } },
      },
      [x, ...series.map((entry) => entry.values)] as uPlot.AlignedData,
      element,
    );
    return () => chart.destroy();
  }, [x, series, format, integer]);
  return <div ref={container} role="img" aria-label={title} class="chart" />;
};
