import type { Normaliser } from './types';
import { slack } from './slack';
import { github } from './github';
import { hubspot } from './hubspot';
import { microsoft } from './microsoft';
import { meta } from './meta';

export type { Normaliser, RawAnswer, NormalisedAnswer } from './types';

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
