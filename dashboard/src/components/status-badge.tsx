export const StatusBadge = ({ status }: { status: string }) => (
  <span class={`badge badge-${status}`} data-status={status}>
    {status}
  </span>
);
