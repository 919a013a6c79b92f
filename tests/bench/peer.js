// The peer of tests/bench/provider.py: node oidc-provider 9.x configured like Városkapu's
// provider for the benchmarked endpoints. One confidential client (client_secret_basic)
// that may use client_credentials, in-memory storage (the library's default adapter),
// opaque access tokens (the default format), ES256 and RS256 keys published, each
// algorithm with an active and a next key as ours publishes them.
//
// Usage: node peer.js PORT CLIENT_ID CLIENT_SECRET [CODES CODE_CHALLENGE]
// Prints one JSON line {"ready": true, "access_token": "...", "codes": [...]} once
// listening: a person's access token (scope openid profile email) for the UserInfo
// benchmark, and CODES authorization codes (PKCE S256 with CODE_CHALLENGE) of the same
// grant for the code-exchange benchmark.

import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const [port, clientId, clientSecret, codeCount = '0', codeChallenge] = process.argv.slice(2);
const redirectUri = 'http://127.0.0.1:9/callback';

// In-memory storage like the library's default adapter, without its LRU of 1000 entries,
// which would evict the codes minted for the code exchange before they are used.
const stores = new Map();
class MemoryAdapter {
  constructor(name) {
    if (!stores.has(name)) stores.set(name, new Map());
    this.store = stores.get(name);
  }
  async upsert(id, payload) { this.store.set(id, payload); }
  async find(id) { return this.store.get(id); }
  async findByUid(uid) {
    for (const payload of this.store.values()) if (payload.uid === uid) return payload;
    return undefined;
  }
  async findByUserCode(userCode) {
    for (const payload of this.store.values()) if (payload.userCode === userCode) return payload;
    return undefined;
  }
  async consume(id) {
    const payload = this.store.get(id);
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }
  async destroy(id) { this.store.delete(id); }
  async revokeByGrantId(grantId) {
    for (const [id, payload] of this.store) if (payload.grantId === grantId) this.store.delete(id);
  }
}
const issuer = `http://127.0.0.1:${port}`;

function privateJwk(type, options, alg, kid) {
  const { privateKey } = generateKeyPairSync(type, options);
  return { ...privateKey.export({ format: 'jwk' }), alg, use: 'sig', kid };
}

const keys = [
  privateJwk('ec', { namedCurve: 'P-256' }, 'ES256', 'es256-active'),
  privateJwk('ec', { namedCurve: 'P-256' }, 'ES256', 'es256-next'),
  privateJwk('rsa', { modulusLength: 2048 }, 'RS256', 'rs256-active'),
  privateJwk('rsa', { modulusLength: 2048 }, 'RS256', 'rs256-next'),
];

const account = {
  accountId: 'bench-citizen',
  async claims() {
    return {
      sub: 'bench-citizen',
      name: 'Bench Citizen',
      given_name: 'Bench',
      family_name: 'Citizen',
      email: 'polgar@bench.invalid',
      email_verified: true,
    };
  },
};

const provider = new Provider(issuer, {
  adapter: MemoryAdapter,
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      grant_types: ['client_credentials', 'authorization_code'],
      response_types: ['code'],
      redirect_uris: [redirectUri],
      token_endpoint_auth_method: 'client_secret_basic',
      // As ours: ID tokens are ES256.
      id_token_signed_response_alg: 'ES256',
    },
  ],
  jwks: { keys },
  cookies: { keys: ['bench-cookie-key-0123456789abcdef'] },
  // Explicit lifetimes (the defaults print a notice on first use).
  // Codes minted at start-up live long enough for the runs before theirs (ours are
  // minted just before each run, and live 60 seconds).
  ttl: {
    AccessToken: 600,
    AuthorizationCode: 600,
    ClientCredentials: 600,
    Grant: 3600,
    Session: 3600,
    Interaction: 600,
  },
  claims: { openid: ['sub'], profile: ['name', 'given_name', 'family_name'], email: ['email', 'email_verified'] },
  features: {
    clientCredentials: { enabled: true },
    devInteractions: { enabled: false },
    userinfo: { enabled: true },
  },
  enabledJWA: { idTokenSigningAlgValues: ['ES256', 'RS256'] },
  findAccount: async (_ctx, id) => (id === account.accountId ? account : undefined),
});

// The peer's UserInfo needs a grant and an access token of a person, minted directly.
const client = await provider.Client.find(clientId);
const grant = new provider.Grant({ accountId: account.accountId, clientId });
grant.addOIDCScope('openid profile email');
const grantId = await grant.save();
const accessToken = new provider.AccessToken({
  accountId: account.accountId,
  client,
  grantId,
  scope: 'openid profile email',
  gty: 'authorization_code',
});
const value = await accessToken.save();

const codes = [];
for (let n = 0; n < Number(codeCount); n += 1) {
  const code = new provider.AuthorizationCode({
    accountId: account.accountId,
    client,
    grantId,
    scope: 'openid profile email',
    redirectUri,
    codeChallenge,
    codeChallengeMethod: 'S256',
    authTime: Math.floor(Date.now() / 1000),
  });
  codes.push(await code.save());
}

provider.listen(Number(port), '127.0.0.1', () => {
  console.log(JSON.stringify({ ready: true, access_token: value, codes }));
});
