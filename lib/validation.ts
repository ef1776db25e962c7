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

// RFC 5322's dot-atom local part (no quoted strings, no comments): what a person types.
const LOCAL_PART = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/i;

/**
 * One e-mail address such as `ops@example.com`: a dot-atom local part of at most 64 characters
 * at a DNS domain. Lists (`a@x.com,b@x.com`) and display names (`Ops <ops@x.com>`) are refused,
 * since SNS would take them as one endpoint that no mail ever reaches.
 */
export const requireEmailAddress = (scope: IConstruct, name: string, value: string): string => {
  const at = typeof value === 'string' ? value.lastIndexOf('@') : -1;
  const local = at > 0 ? value.slice(0, at) : '';
  const domain = at > 0 ? value.slice(at + 1) : '';
  if (at <= 0 || value.length > 254 || local.length > 64 || !LOCAL_PART.test(local) || !DOMAIN.test(domain)) {
    throw new ConfigurationError(
      scope,
      `${name} must be one e-mail address such as ops@example.com, got ${JSON.stringify(value)}`,
    );
  }
  return value;
};
