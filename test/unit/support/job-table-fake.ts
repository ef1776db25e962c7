import { GetCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import type { AwsStub } from 'aws-sdk-client-mock';
import { conditionFailed } from './aws';

type Item = Record<string, unknown>;

/**
 * One job item behind a mocked document client: GetCommand reads it, UpdateCommand applies
 * the store's `SET #x = :x` assignments when the update's status/attempt conditions hold
 * (else ConditionalCheckFailed, as DynamoDB would). Enough to drive the worker as it runs.
 */
export class JobTableFake {
  item: Item | undefined;
  readonly updates: UpdateCommandInput[] = [];

  constructor(dynamo: AwsStub<any, any, any>, item: Item | undefined) {
    this.item = item;
    dynamo.on(GetCommand).callsFake(() => ({ Item: this.item ? structuredClone(this.item) : undefined }));
    dynamo.on(UpdateCommand).callsFake((input: UpdateCommandInput) => this.update(input));
  }

  /** Statuses the recorded transitions moved to, in order. */
  get statuses(): unknown[] {
    return this.updates
      .filter((update) => update.ExpressionAttributeNames?.['#s0'] === 'status')
      .map((update) => update.ExpressionAttributeValues?.[':s0']);
  }

  private update(input: UpdateCommandInput) {
    const item = this.item;
    const values = input.ExpressionAttributeValues ?? {};
    const names = input.ExpressionAttributeNames ?? {};
    const condition = input.ConditionExpression ?? '';
    const allowedFrom = Object.entries(values)
      .filter(([key]) => key.startsWith(':from') || key === ':processing')
      .map(([, value]) => value);
    const expectedAttempts = values[':expectedAttempts'] ?? values[':attempt'];
    if (
      !item ||
      (allowedFrom.length > 0 && !allowedFrom.includes(item.status)) ||
      (condition.includes('#attempts') && item.attempts !== expectedAttempts)
    ) {
      throw conditionFailed();
    }
    this.updates.push(structuredClone(input));
    for (const [placeholder, attribute] of Object.entries(names)) {
      const value = `:${placeholder.slice(1)}`;
      if (/^#[sf]\d+$/.test(placeholder) && value in values) item[attribute] = values[value];
    }
    if (values[':leaseUntil']) item.leaseUntil = values[':leaseUntil'];
    if (values[':true'] === true) item.cancelRequested = true;
    return { Attributes: structuredClone(item) };
  }
}
