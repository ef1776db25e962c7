import { readFileSync } from 'node:fs';

/** A CloudFormation resource as `cdk synth` writes it. */
export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, any>;
  readonly Metadata?: Record<string, unknown>;
}

export interface Template {
  readonly Resources: Record<string, TemplateResource>;
  readonly Outputs?: Record<string, { Value: unknown }>;
}

export const readTemplate = (file: string): Template => JSON.parse(readFileSync(file, 'utf8')) as Template;

/** Logical ids and resources of one type. */
export const resourcesOfType = (template: Template, type: string): [string, TemplateResource][] =>
  Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);

/** What `Ref` and `Fn::GetAtt` stand for locally; throws for anything the local cloud does not provide. */
export interface Bindings {
  ref(logicalId: string): string;
  getAtt(logicalId: string, attribute: string): string;
}

/**
 * Resolves the intrinsic functions CDK emits in this template (Ref, Fn::GetAtt, Fn::Join,
 * Fn::Select, Fn::Split, Fn::Sub) against local bindings.
 */
export const resolve = (value: unknown, bindings: Bindings): any => {
  if (Array.isArray(value)) return value.map((entry) => resolve(entry, bindings));
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, any>;
  const keys = Object.keys(object);
  if (keys.length === 1) {
    const [key] = keys as [string];
    const argument = object[key];
    switch (key) {
      case 'Ref':
        return bindings.ref(argument);
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = Array.isArray(argument) ? argument : String(argument).split('.');
        return bindings.getAtt(logicalId, attribute);
      }
      case 'Fn::Join': {
        const [separator, parts] = argument as [string, unknown[]];
        return (resolve(parts, bindings) as unknown[]).join(separator);
      }
      case 'Fn::Select': {
        const [index, list] = argument as [number, unknown];
        return (resolve(list, bindings) as unknown[])[Number(index)];
      }
      case 'Fn::Split': {
        const [separator, source] = argument as [string, unknown];
        return String(resolve(source, bindings)).split(separator);
      }
      case 'Fn::Sub': {
        const [text, variables] = (Array.isArray(argument) ? argument : [argument, {}]) as [
          string,
          Record<string, unknown>,
        ];
        return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
          if (name in variables) return String(resolve(variables[name], bindings));
          const [logicalId, attribute] = name.split('.');
          return attribute ? bindings.getAtt(logicalId as string, attribute) : bindings.ref(name);
        });
      }
    }
  }
  return Object.fromEntries(keys.map((key) => [key, resolve(object[key], bindings)]));
};
