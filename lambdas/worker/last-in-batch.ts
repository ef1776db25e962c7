/**
 * Holds back the records of one batch whose jobs may end the worker's process (the
 * `crash` diagnostic) until every other record has finished: the crash then takes no
 * neighbour's attempt with it. Those records then run one at a time.
 *
 * Every record calls `done()` exactly once when it ends; a held-back record calls `wait()`
 * first and `done()` after it ran.
 */
export class LastInBatch {
  private running: number;
  private readonly held: (() => void)[] = [];

  constructor(records: number) {
    this.running = records;
  }

  /** Resolves once every other record of the batch is done or held back too. */
  wait(): Promise<void> {
    return new Promise((resolve) => {
      this.held.push(resolve);
      this.running -= 1;
      this.releaseNext();
    });
  }

  done(): void {
    this.running -= 1;
    this.releaseNext();
  }

  private releaseNext(): void {
    const next = this.running === 0 ? this.held.shift() : undefined;
    if (!next) return;
    this.running += 1;
    next();
  }
}
