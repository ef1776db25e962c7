// End-to-end tests wait on real queues, cold starts and backoff; each stays bounded by this.
jest.setTimeout(150_000);
// Node 20 here; the SDK's notice about its future Node 22 requirement is noise in test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
