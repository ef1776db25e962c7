// End-to-end tests wait on real queues, cold starts and backoff; each stays bounded by this.
jest.setTimeout(90_000);
