/**
 * The only table access the WebSocket handler needs (least privilege where the internet
 * reaches): the CDK grants exactly this, each statement bounded by `dynamodb:LeadingKeys`
 * (the partition key). The handler reads its connection (`CONN#…`), the job a client
 * subscribes to (`JOB#…`, for the ownership check and the snapshot) and, when activating
 * a subscription fails, that subscription (`SUB#…`); it writes its connection and
 * subscription items (`CONN#…`, `SUB#<jobId>`, `SUB#USER#<userId>`) and its entry among
 * its user's connections (`USERCONN#<userId>`, put on `$connect`, deleted on
 * `$disconnect`; user.notify reads it), and updates a job
 * it may see only to set its `watched` flag (UpdateItem alone on `JOB#…`: no put, no
 * delete).
 * A test runs every socket route against a recording client and checks each call falls
 * inside these statements, so a new table call cannot slip past the policy unnoticed.
 * The `$connect` authorizer reads nothing from the table and gets no table access at all.
 */
export interface ItemAccess {
  readonly actions: readonly string[];
  /** Partition key prefixes the actions are limited to. */
  readonly leadingKeyPrefixes: readonly string[];
}

export const SOCKET_HANDLER_TABLE_ACCESS: readonly ItemAccess[] = [
  { actions: ['dynamodb:GetItem'], leadingKeyPrefixes: ['CONN#', 'JOB#', 'SUB#'] },
  {
    actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'],
    leadingKeyPrefixes: ['CONN#', 'SUB#', 'USERCONN#'],
  },
  { actions: ['dynamodb:UpdateItem'], leadingKeyPrefixes: ['JOB#'] },
];
