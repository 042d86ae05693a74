import { entryFor, type Normaliser } from './types';
import { slack, slackTokenTypes } from './slack';
import { github } from './github';
import { hubspot } from './hubspot';
import { microsoft } from './microsoft';
import { meta } from './meta';

export type { Normaliser, RawAnswer, NormalisedAnswer, StandardError } from './types';
export { entryFor, isObject } from './types';

/**
 * Normalisers by provider id. Atlassian's 403 `invalid_grant` and Salesforce's missing
 * `expires_in` need none: the first is a standard error body oauth4webapi reads, the second
 * is filled from the catalog's documented lifetime.
 */
export const normalisers: Readonly<Record<string, Normaliser>> = {
  slack,
  github,
  hubspot,
  microsoft,
  facebook: meta,
  instagram: meta,
};

/** Token types a provider documents besides Bearer and DPoP, by provider id (lower case). */
const tokenTypes: Readonly<Record<string, readonly Lowercase<string>[]>> = {
  slack: slackTokenTypes,
};

/** The normaliser of a provider id (the catalog's or a providers file's), if it has one. */
export function normaliserFor(providerId: string): Normaliser | undefined {
  return entryFor(normalisers, providerId);
}

/** The extra token types a provider's token responses may carry. */
export function tokenTypesFor(providerId: string): readonly Lowercase<string>[] {
  return entryFor(tokenTypes, providerId) ?? [];
}
