import { GetObjectCommand, type GetObjectCommandOutput, PutObjectCommand } from '@aws-sdk/client-s3';
import type { AwsStub } from 'aws-sdk-client-mock';

/**
 * A bucket behind a mocked S3 client: PutObject stores the body under its key, GetObject
 * reads it back (NoSuchKey when absent, as S3 answers). Enough for the claim check.
 */
export class BucketFake {
  readonly objects = new Map<string, string>();

  constructor(s3: AwsStub<any, any, any>) {
    s3.on(PutObjectCommand).callsFake((input: { Key: string; Body: string }) => {
      this.objects.set(input.Key, String(input.Body));
      return {};
    });
    s3.on(GetObjectCommand).callsFake((input: { Key: string }) => {
      const text = this.objects.get(input.Key);
      if (text === undefined) {
        throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
      }
      return { Body: { transformToString: async () => text } } as unknown as GetObjectCommandOutput;
    });
  }

  /** The stored object parsed as JSON. */
  json(key: string): unknown {
    const text = this.objects.get(key);
    return text === undefined ? undefined : JSON.parse(text);
  }
}
