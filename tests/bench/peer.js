// The peer of tests/bench/provider.py: node oidc-provider 9.x configured like Városkapu's
// provider for the benchmarked endpoints. One confidential client (client_secret_basic)
// that may use client_credentials, in-memory storage (the library's default adapter),
// opaque access tokens (the default format), ES256 and RS256 keys published, each
// algorithm with an active and a next key as ours publishes them.
//
// Usage: node peer.js PORT CLIENT_ID CLIENT_SECRET
// Prints one JSON line {"ready": true, "access_token": "..."} once listening: a person's
// access token (scope openid profile email) for the UserInfo benchmark.

import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const [port, clientId, clientSecret] = process.argv.slice(2);
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
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      grant_types: ['client_credentials', 'authorization_code'],
      response_types: ['code'],
      redirect_uris: ['http://127.0.0.1:9/callback'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: { keys },
  cookies: { keys: ['bench-cookie-key-0123456789abcdef'] },
  // Explicit lifetimes (the defaults print a notice on first use).
  ttl: { AccessToken: 600, ClientCredentials: 600, Grant: 3600, Session: 3600, Interaction: 600 },
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

provider.listen(Number(port), '127.0.0.1', () => {
  console.log(JSON.stringify({ ready: true, access_token: value }));
});
