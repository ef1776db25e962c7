import type { Job } from 'jobqueue/client';

export const ProgressBar = ({ job, label }: { job: Job; label: string }) => {
  const percent =
    job.status === 'completed' ? 100 : Math.max(0, Math.min(100, Math.round(job.progress?.percent ?? 0)));
  return (
    <div class="progress">
      <progress max={100} value={percent} aria-label={label} />
      <span>{percent}%</span>
    </div>
  );
};
