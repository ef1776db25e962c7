import type { AttributeValue as SdkAttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import type { JobRecord } from './job';
import { toJobRecord } from './job-store';

export interface JobChange {
  readonly eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  readonly oldJob?: JobRecord;
  readonly newJob?: JobRecord;
}

/** Stream images use the same wire format as the SDK; only the type packages differ. */
const image = (value: Record<string, AttributeValue> | undefined): JobRecord | undefined =>
  value ? toJobRecord(unmarshall(value as Record<string, SdkAttributeValue>)) : undefined;

/** The old and new job of a stream record of a job item. */
export const jobChangeOf = (record: DynamoDBRecord): JobChange => ({
  eventName: record.eventName ?? 'MODIFY',
  oldJob: image(record.dynamodb?.OldImage),
  newJob: image(record.dynamodb?.NewImage),
});
