/** One page of a source, in the source's own order (newest first). */
export interface SourcePage<Entry> {
  readonly entries: readonly Entry[];
  /** False once the source has nothing after these entries. */
  readonly more: boolean;
}

/** Reads the next page of one source; each call continues where the previous page ended. */
export type ReadPage<Entry> = () => Promise<SourcePage<Entry>>;

export interface MergeSource<Entry> {
  readonly readPage: ReadPage<Entry>;
  /** The source is known to be empty before any read (a cursor said so): it is never read. */
  readonly exhausted?: boolean;
}

export interface Merged<Entry> {
  /** Index of the source the entry came from. */
  readonly source: number;
  readonly entry: Entry;
}

/**
 * A k-way merge of sources that are each sorted newest first into one newest-first
 * stream. A source is read only when its buffer runs dry and a comparison needs its next
 * entry, so a page of n entries costs each source about one read, in parallel.
 */
export class NewestFirstMerge<Entry> {
  private readonly buffers: Entry[][];
  private readonly more: boolean[];

  constructor(
    private readonly sources: readonly MergeSource<Entry>[],
    /** Negative when `a` comes first (is newer), positive when `b` does. */
    private readonly newerFirst: (a: Entry, b: Entry) => number,
  ) {
    this.buffers = sources.map(() => []);
    this.more = sources.map((source) => source.exhausted !== true);
  }

  /** Up to `count` entries, newest first; fewer only when every source has run out. */
  async take(count: number): Promise<Merged<Entry>[]> {
    const taken: Merged<Entry>[] = [];
    while (taken.length < count) {
      await this.refillEmptyBuffers();
      const source = this.newestHead();
      if (source === undefined) break;
      const entry = this.buffers[source]?.shift() as Entry;
      taken.push({ source, entry });
    }
    return taken;
  }

  /** True when `source` was read to its end and every entry read from it was taken. */
  isDrained(source: number): boolean {
    return !this.more[source] && (this.buffers[source]?.length ?? 0) === 0;
  }

  /** True when every source is drained. */
  get drained(): boolean {
    return this.sources.every((_source, index) => this.isDrained(index));
  }

  /**
   * Until every empty buffer is refilled or its source has ended: the newest head can be
   * chosen only when each source with entries left shows its next one.
   */
  private async refillEmptyBuffers(): Promise<void> {
    for (;;) {
      const empty = this.sources
        .map((_source, index) => index)
        .filter((index) => this.more[index] && (this.buffers[index]?.length ?? 0) === 0);
      if (empty.length === 0) return;
      await Promise.all(
        empty.map(async (index) => {
          const page = await (this.sources[index] as MergeSource<Entry>).readPage();
          this.buffers[index]?.push(...page.entries);
          this.more[index] = page.more;
        }),
      );
    }
  }

  private newestHead(): number | undefined {
    let newest: number | undefined;
    this.buffers.forEach((buffer, index) => {
      const head = buffer[0];
      if (head === undefined) return;
      const current = newest === undefined ? undefined : this.buffers[newest]?.[0];
      if (current === undefined || this.newerFirst(head, current) < 0) newest = index;
    });
    return newest;
  }
}
