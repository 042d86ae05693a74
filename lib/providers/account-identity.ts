import { entryFor, isObject } from './normalisers/types';
import type { AccountIdentity } from './schema';

/**
 * Which account a grant belongs to, read from what the connect flow has seen (the profile's
 * `account` says where to look). Pure: the flow (lib/connect) fetches user-info and validates
 * the ID token; this only reads the answers.
 */

export interface AccountEvidence {
  /** The token endpoint's JSON answer to the code exchange. */
  tokenResponse: Record<string, unknown>;
  /** The claims of the validated ID token, when there was one. */
  idTokenClaims: Record<string, unknown> | null;
  /** The user-info answer (`source: 'userinfo'`), when it was fetched. */
  userinfo: unknown;
  /** The redirect's query parameters. */
  callbackParams: URLSearchParams;
}

export interface ProviderAccount {
  /** provider_account_id. */
  id: string;
  /** A human name for it (an email, a workspace), when the provider gives one. */
  label: string | null;
}

/** The longest id or label kept: a provider's odd answer never fills a column. */
const MAX_LENGTH = 255;

function text(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  return trimmed && trimmed.length <= MAX_LENGTH ? trimmed : null;
}

/** The value at `path` in a JSON answer; own keys only. */
export function valueAtPath(root: unknown, path: readonly string[]): unknown {
  let current = root;
  for (const key of path) {
    if (!isObject(current)) return undefined;
    current = entryFor(current, key);
  }
  return current;
}

/** The account the evidence names, or null when the provider's answer does not hold it. */
export function accountFrom(identity: AccountIdentity, evidence: AccountEvidence): ProviderAccount | null {
  switch (identity.source) {
    case 'id_token': {
      // Own keys only here too: a label claim named like an Object.prototype member reads nothing.
      const claims = evidence.idTokenClaims;
      const id = text(valueAtPath(claims, ['sub']));
      return id ? { id, label: identity.labelClaim ? text(valueAtPath(claims, [identity.labelClaim])) : null } : null;
    }
    case 'token_response': {
      const id = text(valueAtPath(evidence.tokenResponse, identity.idPath));
      return id ? { id, label: identity.labelPath ? text(valueAtPath(evidence.tokenResponse, identity.labelPath)) : null } : null;
    }
    case 'userinfo': {
      const id = text(valueAtPath(evidence.userinfo, identity.idPath));
      return id ? { id, label: identity.labelPath ? text(valueAtPath(evidence.userinfo, identity.labelPath)) : null } : null;
    }
    case 'callback_param': {
      const id = text(evidence.callbackParams.get(identity.param));
      return id ? { id, label: identity.labelPath ? text(valueAtPath(evidence.tokenResponse, identity.labelPath)) : null } : null;
    }
  }
}

/**
 * The `iss` an ID token must carry. Microsoft's multi-tenant endpoint publishes the issuer
 * `https://login.microsoftonline.com/{tenantid}/v2.0` and signs each token with the user's
 * tenant, which the token names in `tid`: the template is filled from that claim (a GUID
 * only), and the validation that follows still compares `iss` exactly.
 */
export function expectedIssuer(template: string, unverifiedClaims: Record<string, unknown>): string | null {
  if (!template.includes('{tenantid}')) return template;
  const tid = valueAtPath(unverifiedClaims, ['tid']);
  if (typeof tid !== 'string' || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(tid)) return null;
  return template.replaceAll('{tenantid}', tid.toLowerCase());
}
