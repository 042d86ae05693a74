import { describe, expect, it } from 'vitest';
import { accountFrom, expectedIssuer, valueAtPath, type AccountEvidence } from '../../lib/providers/account-identity';
import { builtinProviders } from '../../lib/providers/catalog';
import type { AccountIdentity } from '../../lib/providers/schema';

/**
 * The account readers against answers shaped as each provider documents them (the catalog's
 * links), trimmed to the fields that matter and with made-up values.
 */

function evidence(parts: Partial<AccountEvidence>): AccountEvidence {
  return { tokenResponse: {}, idTokenClaims: null, userinfo: undefined, callbackParams: new URLSearchParams(), ...parts };
}

/** The catalog's account rule for a provider (a copy, so a test can never change the catalog). */
function identityOf(id: keyof typeof builtinProviders): AccountIdentity {
  const account = builtinProviders[id].account;
  if (account === null) throw new Error(`${id} has no account rule`);
  return structuredClone(account) as AccountIdentity;
}

const MICROSOFT_TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';

describe('accountFrom: id_token', () => {
  it("reads Google's sub and email from the validated claims", () => {
    const claims = {
      iss: 'https://accounts.google.com',
      azp: 'client.apps.googleusercontent.com',
      aud: 'client.apps.googleusercontent.com',
      sub: '110169484474386276334',
      email: 'ada@example.com',
      email_verified: true,
      iat: 1_700_000_000,
      exp: 1_700_003_600,
    };
    expect(accountFrom(identityOf('google'), evidence({ idTokenClaims: claims }))).toEqual({
      id: '110169484474386276334',
      label: 'ada@example.com',
    });
  });

  it("labels a Microsoft account with preferred_username, which v2.0 tokens carry without the optional email", () => {
    const claims = {
      ver: '2.0',
      iss: `https://login.microsoftonline.com/${MICROSOFT_TENANT}/v2.0`,
      sub: 'AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ',
      aud: '6cb04018-a3f5-46a7-b995-940c78f5aef3',
      tid: MICROSOFT_TENANT,
      oid: '00000000-0000-0000-66f3-3332eca7ea81',
      preferred_username: 'ada@contoso.example',
      name: 'Ada Lovelace',
    };
    expect(accountFrom(identityOf('microsoft'), evidence({ idTokenClaims: claims }))).toEqual({
      id: 'AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ',
      label: 'ada@contoso.example',
    });
  });

  it('keeps the account without a label when the label claim is missing, and has none without sub or without claims', () => {
    const google = identityOf('google');
    expect(accountFrom(google, evidence({ idTokenClaims: { sub: 'abc' } }))).toEqual({ id: 'abc', label: null });
    expect(accountFrom(google, evidence({ idTokenClaims: { email: 'ada@example.com' } }))).toBeNull();
    expect(accountFrom(google, evidence({ idTokenClaims: null }))).toBeNull();
  });
});

describe('accountFrom: token_response', () => {
  it("reads Slack's installing user and workspace from oauth.v2.access", () => {
    const answer = {
      ok: true,
      access_token: 'xoxb-not-a-real-token',
      token_type: 'bot',
      scope: 'users:read',
      bot_user_id: 'U0KRQLJ9H',
      app_id: 'A0KRD7HC3',
      team: { name: 'Slack Softball Team', id: 'T9TK3CUKW' },
      enterprise: null,
      authed_user: { id: 'U1234', scope: 'chat:write', access_token: 'xoxp-not-a-real-token', token_type: 'user' },
    };
    expect(accountFrom(identityOf('slack'), evidence({ tokenResponse: answer }))).toEqual({ id: 'U1234', label: 'Slack Softball Team' });
  });

  it("reads Notion's owner user and workspace name", () => {
    const answer = {
      access_token: 'not-a-real-token',
      token_type: 'bearer',
      refresh_token: 'not-a-real-refresh-token',
      bot_id: '3c90c3cc-0d44-4b50-8888-8dd25736052a',
      workspace_name: "Ada's Notion",
      workspace_id: '4d90c3cc-0d44-4b50-8888-8dd25736052a',
      owner: {
        type: 'user',
        user: { object: 'user', id: '5e90c3cc-0d44-4b50-8888-8dd25736052a', name: 'Ada', type: 'person', person: { email: 'ada@example.com' } },
      },
    };
    expect(accountFrom(identityOf('notion'), evidence({ tokenResponse: answer }))).toEqual({
      id: '5e90c3cc-0d44-4b50-8888-8dd25736052a',
      label: "Ada's Notion",
    });
    // A workspace-owned grant names no user: no account rather than the wrong one.
    expect(accountFrom(identityOf('notion'), evidence({ tokenResponse: { ...answer, owner: { workspace: true } } }))).toBeNull();
  });

  it("reads Dropbox's account_id, TikTok's open_id, Instagram's user_id and Salesforce's identity URL", () => {
    const cases: [keyof typeof builtinProviders, Record<string, unknown>, string][] = [
      ['dropbox', { access_token: 'sl.x', expires_in: 14400, token_type: 'bearer', account_id: 'dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc', uid: '12345' }, 'dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc'],
      ['tiktok', { access_token: 'act.x', expires_in: 86400, open_id: 'afd97af1-b87b-48b9-ac98-410aghda5344', refresh_expires_in: 31536000, scope: 'user.info.basic', token_type: 'Bearer' }, 'afd97af1-b87b-48b9-ac98-410aghda5344'],
      ['instagram', { access_token: 'IGQx', user_id: 17841400000000000, permissions: ['instagram_business_basic'] }, '17841400000000000'],
      ['salesforce', { access_token: '00D!x', instance_url: 'https://acme.my.salesforce.com', id: 'https://login.salesforce.com/id/00Dx0000000BV7z/005x00000012Q9P', token_type: 'Bearer', issued_at: '1278448832702', signature: 'x' }, 'https://login.salesforce.com/id/00Dx0000000BV7z/005x00000012Q9P'],
    ];
    for (const [id, answer, accountId] of cases) {
      expect(accountFrom(identityOf(id), evidence({ tokenResponse: answer }))).toEqual({ id: accountId, label: null });
    }
  });
});

describe('accountFrom: userinfo', () => {
  it('reads GitHub, X, Atlassian, Zoom, Discord, Airtable, Facebook and HubSpot user-info answers', () => {
    const cases: [keyof typeof builtinProviders, unknown, { id: string; label: string | null }][] = [
      ['github', { login: 'octocat', id: 1, node_id: 'MDQ6VXNlcjE=', type: 'User', name: 'monalisa octocat' }, { id: '1', label: 'octocat' }],
      ['twitter', { data: { id: '2244994945', name: 'Developers', username: 'XDevelopers' } }, { id: '2244994945', label: 'XDevelopers' }],
      ['atlassian', { account_type: 'atlassian', account_id: '112233:aaaa-bbbb', email: 'ada@example.com', name: 'Ada', account_status: 'active' }, { id: '112233:aaaa-bbbb', label: 'ada@example.com' }],
      ['zoom', { id: 'KDcuGIm1QgePTO8WbOqwIQ', first_name: 'Ada', email: 'ada@example.com', type: 1, account_id: 'q6gBJVO5TzexKYTb_I2rpg' }, { id: 'KDcuGIm1QgePTO8WbOqwIQ', label: 'ada@example.com' }],
      ['discord', { id: '80351110224678912', username: 'nelly', discriminator: '0', global_name: 'Nelly' }, { id: '80351110224678912', label: 'nelly' }],
      ['airtable', { id: 'usrL2PNC5o3H4lBEi', scopes: ['data.records:read'] }, { id: 'usrL2PNC5o3H4lBEi', label: null }],
      ['facebook', { id: '10158000000000000', name: 'Ada Lovelace' }, { id: '10158000000000000', label: 'Ada Lovelace' }],
      ['hubspot', { portalId: 62515, accountType: 'STANDARD', timeZone: 'US/Eastern', uiDomain: 'app.hubspot.com' }, { id: '62515', label: null }],
    ];
    for (const [id, answer, account] of cases) {
      expect(accountFrom(identityOf(id), evidence({ userinfo: answer }))).toEqual(account);
    }
  });

  it('has no account when user-info was not fetched or is not an object', () => {
    expect(accountFrom(identityOf('github'), evidence({ userinfo: undefined }))).toBeNull();
    expect(accountFrom(identityOf('github'), evidence({ userinfo: [{ id: 1 }] }))).toBeNull();
    expect(accountFrom(identityOf('github'), evidence({ userinfo: 'id' }))).toBeNull();
  });
});

describe('accountFrom: callback_param', () => {
  it("reads QuickBooks' realmId from the redirect back", () => {
    const callbackParams = new URLSearchParams({ code: 'AB11', state: 's', realmId: '4620816365153462040' });
    expect(accountFrom(identityOf('quickbooks'), evidence({ callbackParams }))).toEqual({ id: '4620816365153462040', label: null });
    expect(accountFrom(identityOf('quickbooks'), evidence({ callbackParams: new URLSearchParams({ code: 'AB11' }) }))).toBeNull();
  });

  it('takes a label from the token answer when the rule names one', () => {
    const identity: AccountIdentity = { source: 'callback_param', param: 'shop', labelPath: ['shop_name'] };
    const account = accountFrom(
      identity,
      evidence({ callbackParams: new URLSearchParams({ shop: 'acme.myshopify.com' }), tokenResponse: { shop_name: 'Acme' } }),
    );
    expect(account).toEqual({ id: 'acme.myshopify.com', label: 'Acme' });
  });
});

describe('what is kept of an answer', () => {
  const identity: AccountIdentity = { source: 'token_response', idPath: ['user', 'id'], labelPath: ['user', 'name'] };
  const read = (tokenResponse: Record<string, unknown>) => accountFrom(identity, evidence({ tokenResponse }));

  it('trims text, keeps finite numbers, and refuses empty, overlong or non-scalar values', () => {
    expect(read({ user: { id: '  u1  ', name: ' Ada ' } })).toEqual({ id: 'u1', label: 'Ada' });
    expect(read({ user: { id: 42, name: 7 } })).toEqual({ id: '42', label: '7' });
    expect(read({ user: { id: '   ' } })).toBeNull();
    expect(read({ user: { id: 'x'.repeat(256) } })).toBeNull();
    expect(read({ user: { id: 'x'.repeat(255) } })).toEqual({ id: 'x'.repeat(255), label: null });
    expect(read({ user: { id: Number.NaN } })).toBeNull();
    expect(read({ user: { id: { nested: 'u1' } } })).toBeNull();
    expect(read({ user: { id: true } })).toBeNull();
    expect(read({ user: { id: 'u1', name: 'x'.repeat(256) } })).toEqual({ id: 'u1', label: null });
  });

  it('reads own keys only, never what an answer inherits', () => {
    const inherited = Object.create({ id: 'from-prototype', name: 'inherited' }) as Record<string, unknown>;
    expect(read({ user: inherited })).toBeNull();
    expect(valueAtPath({ a: {} }, ['a', 'constructor'])).toBeUndefined();
    expect(valueAtPath({}, ['__proto__'])).toBeUndefined();
    expect(valueAtPath({ a: [{ id: 'x' }] }, ['a', '0', 'id'])).toBeUndefined();

    const claims = Object.create({ sub: 'from-prototype' }) as Record<string, unknown>;
    expect(accountFrom(identityOf('google'), evidence({ idTokenClaims: claims }))).toBeNull();
    const withOddLabel: AccountIdentity = { source: 'id_token', issuer: 'https://issuer.example', labelClaim: 'toString', loginHint: false };
    expect(accountFrom(withOddLabel, evidence({ idTokenClaims: { sub: 'abc' } }))).toEqual({ id: 'abc', label: null });
  });
});

describe('expectedIssuer', () => {
  const template = builtinProviders.microsoft.account.issuer;

  it("fills Microsoft's {tenantid} from the token's tid", () => {
    expect(expectedIssuer(template, { tid: MICROSOFT_TENANT })).toBe(`https://login.microsoftonline.com/${MICROSOFT_TENANT}/v2.0`);
    // Personal Microsoft accounts sign in through the consumers tenant.
    expect(expectedIssuer(template, { tid: '9188040d-6c67-4c5b-b112-36a304b66dad' })).toBe(
      'https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0',
    );
    expect(expectedIssuer(template, { tid: MICROSOFT_TENANT.toUpperCase() })).toBe(
      `https://login.microsoftonline.com/${MICROSOFT_TENANT}/v2.0`,
    );
  });

  it('refuses a tid that is not a GUID, or none at all', () => {
    for (const tid of ['common', 'organizations', '../evil.example', `${MICROSOFT_TENANT}/extra`, ` ${MICROSOFT_TENANT}`, '', 42, null]) {
      expect(expectedIssuer(template, { tid })).toBeNull();
    }
    expect(expectedIssuer(template, {})).toBeNull();
  });

  it('reads tid as an own claim only', () => {
    expect(expectedIssuer(template, Object.create({ tid: MICROSOFT_TENANT }) as Record<string, unknown>)).toBeNull();
  });

  it('returns a template without a placeholder as it is', () => {
    expect(expectedIssuer('https://accounts.google.com', { tid: MICROSOFT_TENANT })).toBe('https://accounts.google.com');
  });
});
