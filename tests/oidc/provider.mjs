// A real OpenID provider on loopback for Loket's single sign-on tests:
// the OpenID-certified `oidc-provider` package, configured here and
// nothing else faked. Run by tests/integration/sso.rs and the browser
// test:
//
//   node tests/oidc/provider.mjs --redirect-uri http://127.0.0.1:8080/staff/sso/callback \
//       --secret geheim
//
// Prints the issuer URL (http://127.0.0.1:<free port>) as its first line
// on stdout, then serves until killed.
//
// - Clients: `loket` and `other-client`, both with the secret and the
//   redirect URI(s) given, PKCE required (S256), code and refresh grants.
// - Users (log in by name, no password): anna (group loket-staff), bert
//   (loket-admins), carla (no group). Their `groups` claim is in the ID
//   token, also when refreshed.
// - The login page (/interaction/<uid>) is a plain form with one field,
//   `login`, so a test can drive it over HTTP (cookies and a form POST)
//   and a browser can click it.
// - Test-only switches, JSON POSTs: /admin/groups {"user", "groups"};
//   /admin/id-token-ttl {"seconds"}; /admin/id-token-audience
//   {"audience"} (an ID token for another client; null: normal).

import { createServer } from 'node:http';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';

const args = process.argv.slice(2);
const redirectUris = [];
let secret = process.env.OIDC_CLIENT_SECRET ?? '';
for (let i = 0; i < args.length; i += 1) {
  if (args[i] === '--redirect-uri') redirectUris.push(args[++i]);
  else if (args[i] === '--secret') secret = args[++i];
  else throw new Error(`unknown argument ${args[i]}`);
}
if (process.env.OIDC_REDIRECT_URI) redirectUris.push(process.env.OIDC_REDIRECT_URI);
if (redirectUris.length === 0 || !secret) {
  console.error('usage: provider.mjs --redirect-uri URL [--redirect-uri URL ...] --secret SECRET');
  process.exit(2);
}

const groups = {
  anna: ['loket-staff'],
  bert: ['loket-admins'],
  carla: [],
};
const switches = { idTokenTtl: 3600, idTokenAudience: null };

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' };

const client = (clientId) => ({
  client_id: clientId,
  client_secret: secret,
  redirect_uris: redirectUris,
  // "native" allows http on loopback, as the tests run; otherwise a
  // confidential client with a secret like any web application.
  application_type: 'native',
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
});

let provider;
const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname.startsWith('/admin/') && req.method === 'POST') return admin(url, req, res);
  if (url.pathname.startsWith('/interaction/')) return interaction(url, req, res);
  return provider.callback()(req, res);
});

server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  provider = new Provider(issuer, {
    clients: [client('loket'), client('other-client')],
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    pkce: { required: () => true },
    // The groups come with every ID token, as Entra ID and Keycloak send
    // them when configured so.
    claims: { openid: ['sub', 'groups'], profile: ['preferred_username', 'name'], email: ['email'] },
    conformIdTokenClaims: false,
    // A refresh token for Loket's rechecks whenever the client may use one.
    issueRefreshToken: async (_ctx, c) => c.grantTypeAllowed('refresh_token'),
    ttl: { IdToken: () => switches.idTokenTtl },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, i) => `/interaction/${i.uid}` },
    async findAccount(_ctx, sub) {
      if (!(sub in groups)) return undefined;
      return {
        accountId: sub,
        async claims() {
          return {
            sub,
            preferred_username: sub,
            name: sub,
            email: `${sub}@voorbeeldstad.nl`,
            groups: groups[sub],
          };
        },
      };
    },
  });
  // Test-only: an ID token whose audience is another client.
  const issue = provider.IdToken.prototype.issue;
  provider.IdToken.prototype.issue = function issueFor(...rest) {
    if (switches.idTokenAudience) {
      const real = this.client;
      const audience = switches.idTokenAudience;
      this.client = new Proxy(real, {
        get: (target, name) => (name === 'clientId' ? audience : Reflect.get(target, name)),
      });
    }
    return issue.apply(this, rest);
  };
  process.stdout.write(`${issuer}\n`);
  // The test may stop reading after that line: a closed pipe is no reason to stop.
  process.stdout.on('error', () => {});
});

function body(req) {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => { text += chunk; });
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}

function send(res, status, type, text) {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(text);
}

async function admin(url, req, res) {
  try {
    const input = JSON.parse((await body(req)) || '{}');
    if (url.pathname === '/admin/groups' && input.user in groups && Array.isArray(input.groups)) {
      groups[input.user] = input.groups;
    } else if (url.pathname === '/admin/id-token-ttl' && Number.isInteger(input.seconds) && input.seconds > 0) {
      switches.idTokenTtl = input.seconds;
    } else if (url.pathname === '/admin/id-token-audience') {
      switches.idTokenAudience = input.audience ?? null;
    } else {
      return send(res, 400, 'text/plain', 'bad admin request\n');
    }
    return send(res, 204, 'text/plain', '');
  } catch (error) {
    return send(res, 400, 'text/plain', `${error}\n`);
  }
}

const page = (uid, note) => `<!doctype html>
<html lang="nl"><head><meta charset="utf-8"><title>Test-inlogdienst</title></head>
<body><h1>Test-inlogdienst</h1>${note ? `<p>${note}</p>` : ''}
<form method="post" action="/interaction/${uid}/login">
<label>Gebruiker <input name="login" autocomplete="username"></label>
<button type="submit">Inloggen</button>
</form></body></html>
`;

async function interaction(url, req, res) {
  try {
    const details = await provider.interactionDetails(req, res);
    if (req.method === 'GET') return send(res, 200, 'text/html; charset=utf-8', page(details.uid));
    if (req.method !== 'POST' || !url.pathname.endsWith('/login')) {
      return send(res, 405, 'text/plain', 'method not allowed\n');
    }
    const login = new URLSearchParams(await body(req)).get('login') ?? '';
    if (!(login in groups)) {
      return send(res, 200, 'text/html; charset=utf-8', page(details.uid, 'Onbekende gebruiker.'));
    }
    // Log in and consent at once: a test provider asks nothing more.
    const grant = new provider.Grant({ accountId: login, clientId: details.params.client_id });
    grant.addOIDCScope(details.params.scope);
    const grantId = await grant.save();
    return await provider.interactionFinished(
      req,
      res,
      { login: { accountId: login }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
  } catch (error) {
    return send(res, 400, 'text/plain', `${error}\n`);
  }
}
