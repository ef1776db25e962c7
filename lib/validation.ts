import type { IConstruct } from 'constructs';

/** A construct prop or context value that cannot deploy; thrown at synth time. */
export class ConfigurationError extends Error {
  constructor(scope: IConstruct, message: string) {
    super(`${scope.node.path}: ${message}`);
    this.name = 'ConfigurationError';
  }
}

export const requireIntegerInRange = (
  scope: IConstruct,
  name: string,
  value: number,
  min: number,
  max: number,
): number => {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigurationError(scope, `${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
};

const DOMAIN =
  /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/i;

/** A list of DNS domain names (e.g. `example.com`), lower-cased. */
export const requireDomains = (scope: IConstruct, name: string, domains: readonly string[]): string[] => {
  for (const domain of domains) {
    if (typeof domain !== 'string' || !DOMAIN.test(domain)) {
      throw new ConfigurationError(
        scope,
        `${name} must list domain names such as example.com, got ${JSON.stringify(domain)}`,
      );
    }
  }
  return domains.map((domain) => domain.toLowerCase());
};
