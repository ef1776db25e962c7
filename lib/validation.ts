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
