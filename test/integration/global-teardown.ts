/** Stops the local cloud the way Ctrl-C does (SIGTERM: drain, then exit) and waits for it. */
export default async function globalTeardown(): Promise<void> {
  const child = globalThis.__LOCAL_CLOUD__;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}
