/**
 * AWS list prices the bench turns counts into dollars with: us-east-1, on-demand, no free
 * tier, as published on the services' pricing pages on the date below. Change them here
 * (and the date) when AWS does.
 */
export const PRICES = {
  date: '2026-11-29',
  region: 'us-east-1',
  dynamodb: {
    /** On-demand write request units, per million (since the November 2024 cut). */
    writeUnitPerMillion: 0.625,
    readUnitPerMillion: 0.125,
  },
  sqs: { requestPerMillion: 0.4 },
  lambda: {
    requestPerMillion: 0.2,
    /** arm64, per GB-second. */
    arm64GbSecond: 0.0000133334,
    x86GbSecond: 0.0000166667,
  },
  httpApi: { requestPerMillion: 1.0 },
  webSocketApi: { messagePerMillion: 1.0, connectionMinutePerMillion: 0.25 },
  logs: { ingestedPerGb: 0.5 },
  xray: { tracePerMillion: 5.0 },
  s3: { writePerThousand: 0.005, readPerThousand: 0.0004 },
  ses: { emailPerThousand: 0.1 },
  secretsManager: { secretPerMonth: 0.4, callsPerTenThousand: 0.05 },
  cloudWatch: { alarmPerMonth: 0.1, dashboardPerMonth: 3.0 },
  /**
   * A customer-managed key in its first year. Its first two yearly rotations add $1 a month
   * each (later ones nothing), so a rotating key costs $3 a month from its third year.
   */
  kms: { keyPerMonth: 1.0, rotationsBilled: 2 },
} as const;

/**
 * What CloudWatch Logs ingests per invocation beside the function's own lines: the
 * platform's START, END and REPORT lines (≈ 70 + 50 + 190 bytes) and 26 bytes of
 * per-event overhead on each. An estimate from their documented formats.
 */
export const PLATFORM_LOG_BYTES_PER_INVOCATION = 390;

/**
 * Lambda's SQS pollers while a queue is empty: long polls of 20 s by (at least) five
 * pollers per event source mapping, AWS's documented behaviour. Modeled, not measured:
 * the local event sources poll once a second to keep tests quick.
 */
export const IDLE_SQS_POLLS_PER_MAPPING_PER_MINUTE = 15;

export const SECONDS_PER_MONTH = 30 * 24 * 3600;
