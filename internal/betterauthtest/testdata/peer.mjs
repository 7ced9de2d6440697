// peer.mjs drives Better Auth (the library, not the `auth` CLI, which needs Node 22) against a
// database Kernia migrated, and prints one JSON object on stdout. The Go test
// (internal/betterauthtest) writes its input: the dialect, the database, the Kernia plugin ids
// and Kernia's tables with their columns, read from the generated Ent client.
//
// Under Kernia's default snake_case naming, names are mapped Better Auth's way (modelName and
// fields) from Kernia's naming rule: a model is the Kernia entity of the same name, case aside
// (jwks is JSONWebKey), and a field's column is its snake_case name. With input.naming
// "better-auth" (kernia.BetterAuthNames) nothing is mapped: Better Auth runs with its default
// names, and each model must be the Kernia table of the same name, each field the column of the
// same name. A model or field without its Kernia table or column is reported, not guessed.
import { readFileSync } from "node:fs";

const input = JSON.parse(readFileSync(process.argv[2], "utf8"));

const { betterAuth } = await import("better-auth");
const { getMigrations } = await import("better-auth/db/migration");
const { getAuthTables } = await import("better-auth/db");
const plugins = await import("better-auth/plugins");

// Every Kernia plugin id and the Better Auth plugin that holds the same tables and columns,
// with the options that make it contribute all of them (those of Kernia's builtin.All()).
// `schema` is Better Auth's per-plugin modelName/fields option (undefined: default names).
const peers = {
  "two-factor": (schema) => plugins.twoFactor({ schema }),
  organization: (schema) =>
    plugins.organization({ teams: { enabled: true }, dynamicAccessControl: { enabled: true }, schema }),
  "api-key": async (schema) => (await import("@better-auth/api-key")).apiKey({ schema }),
  passkey: async (schema) => (await import("@better-auth/passkey")).passkey({ schema }),
  sso: async (schema) => (await import("@better-auth/sso")).sso({ domainVerification: { enabled: true }, schema }),
  scim: async (schema) =>
    (await import("@better-auth/scim")).scim({
      connections: [],
      managedConnections: { credentialHashSecret: "kernia-peer-test-credential-hash-secret-0123" },
      schema,
    }),
  stripe: async (schema) => {
    const Stripe = (await import("stripe")).default;
    return (await import("@better-auth/stripe")).stripe({
      stripeClient: new Stripe("sk_test_kernia_peer_test"),
      stripeWebhookSecret: "whsec_kernia_peer_test",
      subscription: { enabled: true, plans: [] },
      organization: { enabled: true },
      schema,
    });
  },
  "phone-number": (schema) => plugins.phoneNumber({ schema }),
  admin: (schema) => plugins.admin({ schema }),
  username: (schema) => plugins.username({ schema }),
  jwt: (schema) => plugins.jwt({ schema }),
  anonymous: (schema) => plugins.anonymous({ schema }),
  "device-authorization": (schema) => plugins.deviceAuthorization({ schema }),
  siwe: (schema) =>
    plugins.siwe({
      domain: "localhost:3000",
      getNonce: async () => "kerniapeer0001",
      verifyMessage: async () => false,
      schema,
    }),
  // last-login-method's option is { user: { lastLoginMethod: column } }, without `fields`.
  "last-login-method": (schema) =>
    plugins.lastLoginMethod({
      storeInDatabase: true,
      schema: schema && { user: { lastLoginMethod: schema.user.fields.lastLoginMethod } },
    }),
  "oauth-provider": async (schema) =>
    (await import("@better-auth/oauth-provider")).oauthProvider({
      loginPage: "/sign-in",
      consentPage: "/consent",
      schema,
    }),
};

const unknown = input.plugins.filter((id) => !peers[id]);
if (unknown.length) {
  fail(
    `no Better Auth peer for Kernia plugin(s) ${unknown.join(", ")}: add the plugin that holds ` +
      `the same tables to the peers table in internal/betterauthtest/testdata/peer.mjs`,
  );
}

async function buildPlugins(schemaFor) {
  const list = [];
  for (const id of input.plugins) list.push({ id, plugin: await peers[id](schemaFor?.(id)) });
  return list;
}

function snake(name) {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .toLowerCase();
}

// Kernia's tables, by the lower-cased entity name.
const kernia = new Map(Object.entries(input.entities).map(([e, t]) => [e.toLowerCase(), { entity: e, ...t }]));
const modelAlias = { jwks: "jsonwebkey" };
const core = new Set(["user", "session", "account", "verification", "rateLimit"]);

const baseOptions = () => ({
  baseURL: "http://localhost:3000",
  secret: "kernia-peer-test-secret-0123456789abcdef",
  emailAndPassword: { enabled: true },
  rateLimit: input.rateLimit ? { enabled: false, storage: "database" } : undefined,
  telemetry: { enabled: false },
  logger: { level: "debug", log: (level, message, ...args) => logs.push({ level, message: String(message) + (args.length ? " " + args.map(String).join(" ") : "") }) },
});
const logs = [];

// The plain configuration tells which models and fields Better Auth has.
const plain = await buildPlugins();
const plainTables = getAuthTables({ ...baseOptions(), plugins: plain.map((p) => p.plugin) });

const betterAuthNames = input.naming === "better-auth";
const kerniaByTable = new Map([...kernia.values()].map((k) => [k.table, k]));
const mapping = {}; // model -> { modelName, fields: { field: column } }
const unmapped = []; // Better Auth models or fields with no Kernia table or column
for (const [model, table] of Object.entries(plainTables)) {
  const k = betterAuthNames ? kerniaByTable.get(table.modelName) : kernia.get(modelAlias[model] ?? model.toLowerCase());
  if (!k) {
    unmapped.push(betterAuthNames ? `model ${model}: no Kernia table ${table.modelName}` : `model ${model}: no Kernia entity named ${model} (case aside)`);
    continue;
  }
  const fields = {};
  for (const [field, f] of Object.entries(table.fields)) {
    const column = betterAuthNames ? f.fieldName || field : snake(field);
    if (!k.columns.includes(column)) unmapped.push(`${model}.${field}: no column ${k.table}.${column}`);
    fields[field] = column;
  }
  mapping[model] = { modelName: k.table, fields, entity: k.entity };
}
// Kernia tables and columns Better Auth does not know.
const extra = [];
for (const k of kernia.values()) {
  const m = Object.values(mapping).find((m) => m.entity === k.entity);
  if (!m) {
    extra.push(`table ${k.table} (entity ${k.entity}): no Better Auth model`);
    continue;
  }
  const mapped = new Set(["id", ...Object.values(m.fields)]);
  for (const c of k.columns) if (!mapped.has(c)) extra.push(`${k.table}.${c}: no Better Auth field`);
}

// The configuration under test: Better Auth's own modelName/fields options wherever they exist
// (core tables, rateLimit, each plugin's `schema` option), then every name checked against the
// mapping; a plugin that ignores its option is patched and listed in `patched`.
const pluginSchemas = (plugin) => {
  const s = {};
  for (const [model, t] of Object.entries(plugin.schema ?? {})) {
    const m = mapping[model];
    if (!m) continue;
    s[model] = core.has(model) ? { fields: {} } : { modelName: m.modelName, fields: {} };
    for (const field of Object.keys(t.fields ?? {})) s[model].fields[field] = m.fields[field];
  }
  return s;
};
const plainById = Object.fromEntries(plain.map((p) => [p.id, p.plugin]));
// Better Auth names: the plugins as they come, no schema option.
const configured = betterAuthNames ? await buildPlugins() : await buildPlugins((id) => pluginSchemas(plainById[id]));

const patched = [];
for (const { id, plugin } of betterAuthNames ? [] : configured) {
  for (const [model, t] of Object.entries(plugin.schema ?? {})) {
    const m = mapping[model];
    if (!m) continue;
    if (!core.has(model) && t.modelName !== m.modelName) {
      patched.push(`${id}: ${model} modelName ${t.modelName ?? "(unset)"} -> ${m.modelName}`);
      t.modelName = m.modelName;
    }
    for (const [field, f] of Object.entries(t.fields ?? {})) {
      if (f.fieldName !== m.fields[field]) {
        patched.push(`${id}: ${model}.${field} fieldName ${f.fieldName ?? "(unset)"} -> ${m.fields[field]}`);
        f.fieldName = m.fields[field];
      }
    }
  }
}

const coreOptions = {};
for (const model of betterAuthNames ? [] : ["user", "session", "account", "verification"]) {
  const m = mapping[model];
  coreOptions[model] = { modelName: m.modelName, fields: {} };
  for (const field of Object.keys(plainTables[model].fields)) coreOptions[model].fields[field] = m.fields[field];
}

let database;
if (input.dialect === "postgres") {
  const pg = (await import("pg")).default;
  database = new pg.Pool({ connectionString: input.url, max: 4 });
} else {
  const Database = (await import("better-sqlite3")).default;
  database = new Database(input.file);
}

const options = { ...baseOptions(), ...coreOptions, database, plugins: configured.map((p) => p.plugin) };
if (input.rateLimit && !betterAuthNames) {
  const m = mapping.rateLimit;
  options.rateLimit = { ...options.rateLimit, modelName: m.modelName, fields: m.fields };
}

// Every name as Better Auth now resolves it: nothing may differ from the mapping.
const resolved = getAuthTables(options);
const mismatched = [];
for (const [model, t] of Object.entries(resolved)) {
  const m = mapping[model];
  if (!m) continue;
  if (t.modelName !== m.modelName) mismatched.push(`${model}: modelName ${t.modelName}, want ${m.modelName}`);
  for (const [field, f] of Object.entries(t.fields)) {
    const got = f.fieldName || field;
    if (got !== m.fields[field]) mismatched.push(`${model}.${field}: fieldName ${got}, want ${m.fields[field]}`);
  }
}

const out = {
  naming: betterAuthNames ? "better-auth" : "snake_case",
  coreOptions: Object.keys(coreOptions).length + (options.rateLimit?.modelName ? 1 : 0),
  versions: {},
  node: process.version,
  models: Object.keys(resolved).length,
  fields: Object.values(resolved).reduce((n, t) => n + Object.keys(t.fields).length, 0),
  mapping: Object.fromEntries(Object.entries(mapping).map(([k, v]) => [k, { modelName: v.modelName, fields: v.fields }])),
  unmapped,
  extra,
  patched,
  mismatched,
};
for (const pkg of input.packages ?? []) {
  try {
    const { createRequire } = await import("node:module");
    const require = createRequire(import.meta.url);
    out.versions[pkg] = JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), "utf8")).version;
  } catch {
    out.versions[pkg] = JSON.parse(readFileSync(new URL(`./node_modules/${pkg}/package.json`, import.meta.url), "utf8")).version;
  }
}

if (input.migrate) {
  // Better Auth creates the database itself, as `npx auth migrate` does (the CLI runs
  // getMigrations(options).runMigrations()), for `kernia adopt` to take over.
  const plan = await getMigrations(options);
  out.migrated = { created: plan.toBeCreated.map((t) => t.table), sql: await plan.compileMigrations() };
  await plan.runMigrations();
  if (input.dialect === "postgres") await database.end();
  else database.close();
  process.stdout.write(JSON.stringify(out, null, 1) + "\n");
  process.exit(0);
}

if (!input.read) {
  // getMigrations: the plan `auth migrate` would execute.
  logs.length = 0;
  const plan = await getMigrations(options, { throwOnUnsafe: false });
  out.migrations = {
    toBeCreated: plan.toBeCreated.map((t) => ({ table: t.table, fields: Object.keys(t.fields) })),
    toBeAdded: plan.toBeAdded.map((t) => ({ table: t.table, fields: Object.keys(t.fields) })),
    toBeAddedIndexes: plan.toBeAddedIndexes.map((i) => ({
      table: i.table,
      name: i.name,
      columns: i.index.columns ?? i.index.fields,
      unique: !!i.index.unique,
    })),
    unsafeChanges: plan.unsafeChanges,
    schemaProblems: plan.schemaProblems,
    sql: await plan.compileMigrations(),
    warnings: logs.filter((l) => l.level === "warn" || l.level === "error").map((l) => l.message),
  };
}

// The runtime schema check every request awaits, and the sign-up / sign-in round trip.
logs.length = 0;
const auth = betterAuth(options);
const ctx = await auth.$context;
try {
  await ctx.checkSchema?.();
  out.schemaCheck = { ran: typeof ctx.checkSchema === "function", problems: [] };
} catch (e) {
  out.schemaCheck = { ran: true, problems: (e.findings ?? []).map((f) => JSON.stringify(f)), message: e.message };
}

if (input.read) {
  // Rows Kernia's Ent client wrote, read through Better Auth: the session the way getSession
  // finds it, the session again through an `expiresAt > now` query, the JSON of a client.
  try {
    const r = input.read;
    const found = await ctx.internalAdapter.findSession(r.sessionToken);
    out.read = {
      user: found && {
        id: found.user.id,
        email: found.user.email,
        name: found.user.name,
        emailVerified: found.user.emailVerified,
        createdAt: found.user.createdAt.toISOString(),
      },
      session: found && {
        id: found.session.id,
        token: found.session.token,
        userId: found.session.userId,
        expiresAt: found.session.expiresAt.toISOString(),
        expiredInJS: found.session.expiresAt < new Date(r.now),
      },
    };
    const live = await ctx.adapter.findMany({
      model: "session",
      where: [
        { field: "token", value: r.sessionToken },
        { field: "expiresAt", operator: "gt", value: new Date(r.now) },
      ],
    });
    out.read.liveByQuery = live.length;
    const c = await ctx.adapter.findOne({ model: "oauthClient", where: [{ field: "id", value: r.oauthClientId }] });
    out.read.oauthClient = c && {
      id: c.id,
      clientId: c.clientId,
      redirectUris: Array.isArray(c.redirectUris) ? c.redirectUris : { notAnArray: String(c.redirectUris), type: typeof c.redirectUris },
      metadata: c.metadata && typeof c.metadata === "object" && !Buffer.isBuffer(c.metadata) ? c.metadata : { notAnObject: String(c.metadata), type: Buffer.isBuffer(c.metadata) ? "Buffer" : typeof c.metadata },
    };
  } catch (e) {
    out.readError = `${e.name}: ${e.message}`;
  }
} else try {
  const email = input.email;
  const up = await auth.api.signUpEmail({ body: { email, password: "correct horse battery staple", name: "Peer Test" } });
  const signIn = await auth.api.signInEmail({ body: { email, password: "correct horse battery staple" } });
  const session = await ctx.adapter.findOne({ model: "session", where: [{ field: "token", value: signIn.token }] });
  const user = await ctx.adapter.findOne({ model: "user", where: [{ field: "id", value: up.user.id }] });
  out.signUp = { userId: up.user.id, token: up.token };
  out.signIn = { userId: signIn.user.id, token: signIn.token };
  out.user = {
    id: user.id,
    email: user.email,
    name: user.name,
    emailVerified: user.emailVerified,
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
  };
  // A session Better Auth wrote that expired earlier today (UTC): Go code must see it as expired.
  const now = Date.now();
  out.now = new Date(now).toISOString();
  const sinceMidnight = now % 86400000;
  const expiresAt = new Date(now - Math.max(1, Math.min(3600000, Math.floor(sinceMidnight / 2))));
  const expired = await ctx.adapter.create({
    model: "session",
    data: { token: `expired-${up.user.id}`, userId: up.user.id, expiresAt, createdAt: new Date(now), updatedAt: new Date(now) },
  });
  out.expired = { id: expired.id, token: expired.token, userId: expired.userId, expiresAt: expired.expiresAt.toISOString() };
  out.session = {
    id: session.id,
    token: session.token,
    userId: session.userId,
    expiresAt: session.expiresAt.toISOString(),
    createdAt: session.createdAt.toISOString(),
  };
  // JSON and string[] columns, the way Better Auth writes them (oauth-provider's clients).
  if (mapping.oauthClient) {
    const client = await ctx.adapter.create({
      model: "oauthClient",
      data: {
        clientId: `peer-client-${up.user.id}`,
        redirectUris: ["https://app.example.com/callback", "http://localhost:3000/cb"],
        scopes: ["openid", "profile"],
        metadata: { tier: "gold", seats: 3, nested: { ok: true } },
        disabled: false,
        userId: up.user.id,
        createdAt: new Date(now),
        updatedAt: new Date(now),
      },
    });
    const back = await ctx.adapter.findOne({ model: "oauthClient", where: [{ field: "id", value: client.id }] });
    out.oauthClient = {
      id: back.id,
      clientId: back.clientId,
      redirectUris: back.redirectUris,
      scopes: back.scopes,
      metadata: typeof back.metadata === "string" ? JSON.parse(back.metadata) : back.metadata,
      disabled: back.disabled,
    };
  }
} catch (e) {
  out.roundTripError = `${e.name}: ${e.message}${e.body ? " " + JSON.stringify(e.body) : ""}`;
}
out.runtimeWarnings = logs.filter((l) => l.level === "warn" || l.level === "error").map((l) => l.message);

if (input.dialect === "postgres") await database.end();
else database.close();
process.stdout.write(JSON.stringify(out, null, 1) + "\n");

function fail(message) {
  process.stderr.write(`peer.mjs: ${message}\n`);
  process.exit(2);
}
