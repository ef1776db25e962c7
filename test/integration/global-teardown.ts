/**
 * Stops the local cloud the way Ctrl-C does (SIGTERM: drain, then exit) and waits for it;
 * if it hangs, the whole process group (tsx, node, DynamoDB Local) is killed.
 */
export default async function globalTeardown(): Promise<void> {
  const child = globalThis.__LOCAL_CLOUD__;
  if (!child?.pid || child.exitCode !== null) return;
  const group = -child.pid;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => process.kill(group, 'SIGKILL'), 45_000);
  await exited;
  clearTimeout(timer);
  try {
    // Anything of the group still alive after the drain (nothing, normally).
    process.kill(group, 'SIGKILL');
  } catch {
    // The group is gone.
  }
}
