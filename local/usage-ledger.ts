/**
 * What the local cloud's functions and clients asked of AWS, counted the way AWS bills it:
 * one line per (caller, service, operation). `npm run bench` turns it into dollars.
 */
export interface UsageLine {
  /** The function's logical id, `EventSourceMapping`, `Client` (HTTP/WebSocket users) … */
  readonly caller: string;
  /** `dynamodb`, `sqs`, `s3`, `lambda`, `logs`, `apigateway-http`, `apigateway-ws`, … */
  readonly service: string;
  readonly operation: string;
  /** API calls. */
  requests: number;
  /** Billing units where they differ from calls: SQS 64 KB chunks, WebSocket 32 KB messages, HTTP API 512 KB requests, connection minutes. */
  billedUnits: number;
  /** DynamoDB write units consumed, table and indexes together, as DynamoDB reported them. */
  writeUnits: number;
  /** DynamoDB read units consumed, table and indexes together. */
  readUnits: number;
  /** DynamoDB write units per index (`table` for the base table). */
  writeUnitsBy: Record<string, number>;
  /** Lambda: summed invocation time in ms, each invocation rounded up to 1 ms. */
  durationMs: number;
  /** Bytes written: log bytes for `logs`, request bytes otherwise. */
  bytes: number;
  /** Calls the service refused (conditional check failures and the like). */
  errors: number;
}

export type UsageAmounts = Partial<Omit<UsageLine, 'caller' | 'service' | 'operation'>>;

export class UsageLedger {
  private readonly lines = new Map<string, UsageLine>();

  add(caller: string, service: string, operation: string, amounts: UsageAmounts = {}): void {
    const key = `${caller}\u0000${service}\u0000${operation}`;
    let line = this.lines.get(key);
    if (!line) {
      line = {
        caller,
        service,
        operation,
        requests: 0,
        billedUnits: 0,
        writeUnits: 0,
        readUnits: 0,
        writeUnitsBy: {},
        durationMs: 0,
        bytes: 0,
        errors: 0,
      };
      this.lines.set(key, line);
    }
    line.requests += amounts.requests ?? 0;
    line.billedUnits += amounts.billedUnits ?? 0;
    line.writeUnits += amounts.writeUnits ?? 0;
    line.readUnits += amounts.readUnits ?? 0;
    line.durationMs += amounts.durationMs ?? 0;
    line.bytes += amounts.bytes ?? 0;
    line.errors += amounts.errors ?? 0;
    for (const [index, units] of Object.entries(amounts.writeUnitsBy ?? {})) {
      line.writeUnitsBy[index] = (line.writeUnitsBy[index] ?? 0) + units;
    }
  }

  /** A copy of every line, so a caller can subtract one snapshot from another. */
  snapshot(): UsageLine[] {
    return [...this.lines.values()].map((line) => ({ ...line, writeUnitsBy: { ...line.writeUnitsBy } }));
  }

  reset(): void {
    this.lines.clear();
  }
}
