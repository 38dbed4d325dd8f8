// Stand-ins of pulumi, gcloud, docker, buildah and skopeo for scripts/rehearse.sh: one state file
// ($REHEARSAL_STATE/state.json: credentials, backends and their stacks, buckets, keys, service accounts, registry
// repositories, tags and manifests, DNS records), and each command refuses what the real tool refuses, as far as
// the deploy path's order depends on it. Every rule cites the upstream behaviour it models. Nothing here talks to
// a network. Usage (through test/rehearsal/bin/<tool>): node standins.mjs <tool> <args...>
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parse, parseDocument } from "yaml";

const STATE = join(process.env.REHEARSAL_STATE ?? fail("REHEARSAL_STATE is not set (the rehearsal's state directory)", 2), "state.json");
const state = existsSync(STATE)
  ? JSON.parse(readFileSync(STATE, "utf8"))
  : {
      account: null,
      adc: false,
      current: null,
      backends: {},
      buckets: [],
      keys: [],
      accounts: [],
      repos: {},
      tags: {},
      manifests: {},
      dns: [],
      local: {},
      logins: {},
    };
const save = () => writeFileSync(STATE, JSON.stringify(state, null, 1));

function fail(message, code = 1) {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}
/** The value after `--flag` or in `--flag=value`; positional arguments are what is left. */
function flags(args) {
  const out = { _: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const m = /^--([^=]+)(?:=(.*))?$/.exec(a);
    if (!m) out._.push(a);
    else if (m[2] !== undefined) out[m[1]] = m[2];
    else if (i + 1 < args.length && !args[i + 1].startsWith("--") && !BOOLEAN.has(m[1])) out[m[1]] = args[++i];
    else out[m[1]] = true;
  }
  return out;
}
const BOOLEAN = new Set([
  "password-stdin",
  "secret",
  "path",
  "yes",
  "json",
  "all",
  "preserve-digests",
  "show-secrets",
  "plaintext",
  "raw",
  "layers",
  "force",
  "skip-preview",
]);
const sha256 = (b) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
/** The identity a stand-in access token stands for (gcloud auth print-access-token writes them). */
const identityOf = (token) => (/^ya29\.standin\.(.+)$/.exec(token ?? "") ?? [])[1];

// --- registry (Artifact Registry) ------------------------------------------------------------------------------
/** <host>/<project>/<repository> of an image reference, its image path and its tag or digest. */
function splitRef(ref) {
  const m = /^([a-z0-9.:-]+)\/([a-z0-9-]+)\/([a-z0-9._-]+)\/([a-z0-9._/-]+?)(?::([A-Za-z0-9_.-]+)|@(sha256:[0-9a-f]{64}))$/.exec(ref);
  if (!m) fail(`invalid reference format: ${ref}`);
  return { repo: `${m[1]}/${m[2]}/${m[3]}`, image: m[4], tag: m[5], digest: m[6] };
}
function resolveRef(ref) {
  const r = splitRef(ref);
  if (!state.repos[r.repo]) return { ...r, missing: `name unknown: Repository "${r.repo}" not found` };
  const digest = r.digest ?? state.tags[`${r.repo}/${r.image}:${r.tag}`];
  if (!digest || !state.manifests[digest] || !(state.repos[r.repo].images ?? []).includes(`${r.image}@${digest}`))
    return { ...r, missing: `manifest unknown: ${ref}` };
  return { ...r, digest };
}
/**
 * Stores a manifest under a tag. Refused: a repository that does not exist ("name unknown"), an identity without
 * write on it (artifactregistry.repositories.uploadArtifacts, https://cloud.google.com/artifact-registry/docs/access-control),
 * and, with immutable tags, a tag already used by another digest ("Push an image with a tag that is already used
 * by another version of the image" is not permitted: https://cloud.google.com/artifact-registry/docs/repositories/update-repo-settings).
 */
function push(ref, manifest, identity) {
  const r = splitRef(ref);
  const repo = state.repos[r.repo];
  if (!repo) fail(`name unknown: Repository "${r.repo}" not found`);
  if (!repo.writers.includes(identity))
    fail(
      `denied: Permission "artifactregistry.repositories.uploadArtifacts" denied on resource "${r.repo}" (or it may not exist) for ${identity ?? "an anonymous caller"}`,
    );
  const digest = sha256(manifest);
  const key = `${r.repo}/${r.image}:${r.tag}`;
  if (repo.immutable && state.tags[key] && state.tags[key] !== digest)
    fail(`denied: the tag ${r.tag} of ${r.repo}/${r.image} is immutable and already points to ${state.tags[key]}`);
  state.manifests[digest] = Buffer.from(manifest).toString("base64");
  state.tags[key] = digest;
  repo.images = [...new Set([...(repo.images ?? []), `${r.image}@${digest}`])];
  return digest;
}
/** The image's manifest: a JSON document naming the hash of the build context's files (the stand-in's "layers"). */
function buildManifest(context, extra = "") {
  if (!existsSync(context) || !statSync(context).isDirectory()) fail(`unable to prepare context: path "${context}" not found`);
  const h = createHash("sha256");
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else h.update(`${relative(context, p)}\0`).update(readFileSync(p));
    }
  };
  walk(context);
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    layers: [`sha256:${h.digest("hex")}`],
    extra,
  });
}

// --- pulumi ------------------------------------------------------------------------------------------------------
const projectName = () => {
  if (!existsSync("Pulumi.yaml")) fail("error: no Pulumi.yaml project file found (searching upwards from the current directory)");
  return String(parse(readFileSync("Pulumi.yaml", "utf8")).name);
};
const stackFile = (stack, f) => f["config-file"] ?? `Pulumi.${stack}.yaml`;
function backend() {
  // Not logged in: a non-interactive CLI cannot log in to the default (Pulumi Cloud) backend
  // (https://www.pulumi.com/docs/iac/cli/commands/pulumi_login/: PULUMI_ACCESS_TOKEN must be set non-interactively).
  if (!state.current) fail("error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions", 255);
  return (state.backends[state.current] ??= { stacks: {} });
}
/**
 * The named stack. A missing one is an error without a terminal ("no stack named '<s>' found"); on a terminal the
 * real CLI offers to create it with the backend's default secrets provider (RequireStack with OfferNew,
 * pkg/cmd/pulumi/stack/io.go). The rehearsal has no terminal, so it always refuses.
 */
function requireStack(stack) {
  if (!stack) fail("error: no stack selected; pass --stack (the rehearsal never relies on a selected stack)", 255);
  const s = backend().stacks[`${projectName()}/${stack}`];
  if (!s) fail(`error: no stack named '${stack}' found`, 255);
  return s;
}
/** AES-256-GCM as Pulumi's symmetric crypter: `v1:<nonce>:<ciphertext>` (sdk/go/common/resource/config/crypt.go). */
function encrypt(s, plain) {
  const nonce = randomBytes(12);
  const c = createCipheriv("aes-256-gcm", Buffer.from(s.key, "hex"), nonce);
  const ct = Buffer.concat([c.update(plain, "utf8"), c.final(), c.getAuthTag()]);
  return `v1:${nonce.toString("base64")}:${ct.toString("base64")}`;
}
function decrypt(s, value) {
  const parts = value.split(":");
  if (parts.length !== 3) throw new Error("bad value");
  if (parts[0] !== "v1") throw new Error("unknown value version");
  const nonce = Buffer.from(parts[1], "base64");
  const ct = Buffer.from(parts[2], "base64");
  if (nonce.length !== 12 || ct.length < 16) throw new Error("bad value: nonce size is incorrect");
  const d = createDecipheriv("aes-256-gcm", Buffer.from(s.key, "hex"), nonce);
  d.setAuthTag(ct.subarray(ct.length - 16));
  try {
    return Buffer.concat([d.update(ct.subarray(0, ct.length - 16)), d.final()]).toString("utf8");
  } catch {
    throw new Error("cipher: message authentication failed");
  }
}
const readDoc = (file) => parseDocument(existsSync(file) ? readFileSync(file, "utf8") : "config: {}\n");
const configOf = (file) => (existsSync(file) ? (parse(readFileSync(file, "utf8"))?.config ?? {}) : {});
const secureEntries = (file) =>
  Object.entries(configOf(file)).filter(([, v]) => v && typeof v === "object" && typeof v.secure === "string");
/** Every secret of the stack file, decrypted: `pulumi up/preview` read the whole config first (pkg/cmd/pulumi/operations/up.go "getting stack configuration"). */
function decryptAll(s, file) {
  for (const [key, v] of secureEntries(file)) {
    try {
      decrypt(s, v.secure);
    } catch (e) {
      fail(`error: getting stack configuration: could not decrypt configuration value for ${key}: ${e.message}`, 255);
    }
  }
}
const value = (config, ns, key) => config[`gumstack:${ns}`]?.[key] ?? config[`gumstack:${ns}.${key}`];

/** What `pulumi up` of each program creates that a later step of the path needs, and what it waits for. */
function deploy(s, stack, file, f) {
  const project = projectName();
  if (project === "gumstack-bootstrap") {
    const c = configOf(file);
    const admin = c["gumstack-bootstrap:project"];
    const region = c["gumstack-bootstrap:region"] ?? "us-west1";
    const release = `gumstack-release@${admin}.iam.gserviceaccount.com`;
    const key = `projects/${admin}/locations/global/keyRings/pulumi/cryptoKeys/stack-secrets`;
    const platform = `${region}-docker.pkg.dev/${admin}/gumstack-platform`;
    state.buckets = [...new Set([...state.buckets, c["gumstack-bootstrap:stateBucket"]])];
    state.keys = [...new Set([...state.keys, key])];
    state.accounts = [...new Set([...state.accounts, release])];
    state.repos[platform] ??= { immutable: true, writers: [release], images: [] };
    s.outputs = {
      stateBackend: `gs://${c["gumstack-bootstrap:stateBucket"]}`,
      secretsProvider: `gcpkms://${key}`,
      platformImagesRepository: platform,
      releaseServiceAccount: release,
    };
  } else {
    const c = configOf(file);
    const [region, gcp, env, domain] = [c["gumstack:region"], c["gumstack:project"], c["gumstack:environment"], c["gumstack:domain"]];
    const platform = value(c, "platformImages", "repository");
    const release = value(c, "platformImages", "releaseIdentity") ?? `gumstack-release@${platform.split("/")[1]}.iam.gserviceaccount.com`;
    const tenant = `${region}-docker.pkg.dev/${gcp}/${value(c, "artifactRegistry", "repositoryId") ?? `mcp-${env}`}`;
    // The stack's tenant repository, and the release identity's writer grant on it (for the builder and canary copies).
    state.repos[tenant] ??= { immutable: false, writers: [release], images: [] };
    s.protected = true;
    s.allowDestroy = String(c["gumstack:allowDestroy"]) === "true";
    s.outputs = {
      dnsRecords: [
        { name: `_acme-challenge.${domain}`, type: "CNAME", value: `${env}.authorize.certificatemanager.goog.` },
        { name: domain, type: "A", value: "203.0.113.10" },
      ],
      certificateStatusCommand: `gcloud certificate-manager certificates describe ${env}-cert --project ${gcp} --format='value(managed.state)'`,
    };
    // pulumi-kubernetes waits for a Deployment's replicas to be ready and fails the update when they are not
    // (https://www.pulumi.com/registry/packages/kubernetes/api-docs/apps/v1/deployment/); a pod whose image does not
    // exist never is (ImagePullBackOff). Likewise the canary's Knative Service waits for a Ready revision.
    const images = [["backend", value(c, "backend", "image")]];
    if (String(value(c, "canary", "enabled")) === "true") images.push(["canary", value(c, "canary", "image")]);
    for (const [what, ref] of images) {
      const r = resolveRef(String(ref));
      if (r.missing) {
        save();
        fail(`error: update failed: ${what}: pods never became ready: ImagePullBackOff: ${r.missing}`, 255);
      }
    }
    void f;
  }
}

function pulumi(args) {
  const [cmd, sub] = args;
  const f = flags(args.slice(cmd === "stack" || cmd === "config" || cmd === "state" ? 2 : 1));
  if (cmd === "config" && !["get", "set"].includes(sub)) f._.unshift(sub);
  switch (cmd) {
    case "whoami":
      backend();
      return console.log(state.account ?? "rehearsal");
    case "login": {
      const url = args[1];
      // The GCS backend reads Application Default Credentials and the bucket must exist
      // (https://www.pulumi.com/docs/iac/concepts/state-and-backends/#google-cloud-storage).
      if (url.startsWith("gs://")) {
        if (!state.adc) fail("error: problem logging in: google: could not find default credentials", 255);
        if (!state.buckets.includes(url.slice(5))) fail(`error: problem logging in: storage: bucket doesn't exist (${url})`, 255);
      }
      state.current = url;
      save();
      return console.log(`Logged in to ${url}`);
    }
    case "stack": {
      const b = backend();
      const project = projectName();
      const name = f.stack ?? f._[0];
      const id = `${project}/${name}`;
      if (sub === "ls") {
        const list = Object.keys(b.stacks)
          .filter((k) => k.startsWith(`${project}/`))
          .map((k) => ({ name: k.slice(project.length + 1), current: false }));
        return console.log(JSON.stringify(list));
      }
      if (sub === "init") {
        // backenderr.StackAlreadyExistsError: "stack '<s>' already exists" (pkg/backend/backenderr/backenderr.go).
        if (b.stacks[id]) fail(`error: stack '${name}' already exists`, 255);
        const provider = f["secrets-provider"] ?? "default";
        // The passphrase provider needs PULUMI_CONFIG_PASSPHRASE(_FILE) without a terminal; a KMS key must exist and be reachable.
        if (provider === "passphrase" && !process.env.PULUMI_CONFIG_PASSPHRASE && !process.env.PULUMI_CONFIG_PASSPHRASE_FILE)
          fail("error: passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE environment variables", 255);
        if (provider.startsWith("gcpkms://") && (!state.adc || !state.keys.includes(provider.slice(9))))
          fail(`error: could not create secrets manager for new stack: key ${provider} not found or not accessible`, 255);
        b.stacks[id] = { provider, key: randomBytes(32).toString("hex"), outputs: {}, deployed: false };
        const doc = readDoc(stackFile(name, f));
        // What `pulumi stack init` writes into the stack file: the provider and its encrypted data key (a salt for
        // the passphrase provider): https://www.pulumi.com/docs/iac/concepts/secrets/#configuring-secrets-encryption
        if (provider === "passphrase") doc.set("encryptionsalt", `v1:${randomBytes(8).toString("base64")}:standin`);
        else {
          doc.set("secretsprovider", provider);
          doc.set("encryptedkey", randomBytes(24).toString("base64"));
        }
        writeFileSync(stackFile(name, f), doc.toString());
        save();
        return console.log(`Created stack '${name}'`);
      }
      const s = requireStack(name);
      if (sub === "output") {
        const out = s.outputs?.[f._[0]];
        // "current stack does not have output property" (pkg/cmd/pulumi/stack/stack_output.go).
        if (out === undefined) fail(`error: current stack does not have output property '${f._[0]}'`, 255);
        return console.log(typeof out === "string" && !f.json ? out : JSON.stringify(out));
      }
      if (sub === "export") return writeFileSync(f.file, JSON.stringify({ project, outputs: s.outputs, deployed: s.deployed }));
      if (sub === "import") {
        const exp = JSON.parse(readFileSync(f.file, "utf8"));
        Object.assign(s, { outputs: exp.outputs, deployed: exp.deployed });
        return save();
      }
      if (sub === "change-secrets-provider") {
        const file = stackFile(name, f);
        const plain = secureEntries(file).map(([k, v]) => [k, decrypt(s, v.secure)]);
        const provider = f._[0];
        if (provider.startsWith("gcpkms://") && !state.keys.includes(provider.slice(9))) fail(`error: key ${provider} not found`, 255);
        Object.assign(s, { provider, key: randomBytes(32).toString("hex") });
        const doc = readDoc(file);
        doc.set("secretsprovider", provider);
        for (const [k, p] of plain) doc.setIn(["config", k], doc.createNode({ secure: encrypt(s, p) }));
        writeFileSync(file, doc.toString());
        return save();
      }
      if (sub === "rm") {
        // "'<s>' still has resources; removal rejected" (pkg/cmd/pulumi/stack/stack_remove.go).
        if (s.deployed)
          fail(
            `error: '${name}' still has resources; removal rejected. Possible actions:\n- Make sure that '${name}' is the stack that you want to destroy`,
            255,
          );
        delete b.stacks[id];
        return save();
      }
      return fail(`error: stand-in pulumi: unknown command 'stack ${sub}'`, 2);
    }
    case "config": {
      const s = requireStack(f.stack);
      const file = stackFile(f.stack, f);
      const [key, raw] = f._;
      if (sub === "get") {
        let v = configOf(file)[key];
        if (f.path) v = value(configOf(file), ...key.replace(/^gumstack:/, "").split("."));
        if (v === undefined) fail(`error: configuration key '${key}' not found for stack '${f.stack}'`, 255);
        if (v && typeof v === "object" && typeof v.secure === "string") {
          try {
            return console.log(decrypt(s, v.secure));
          } catch (e) {
            fail(`error: could not decrypt configuration value: ${e.message}`, 255);
          }
        }
        return console.log(typeof v === "string" ? v : JSON.stringify(v));
      }
      if (raw === undefined) fail("error: value must be given (the rehearsal has no terminal to read it from)", 255);
      // A plain value for a key that looks like a secret is refused without --secret or --plaintext
      // (looksLikeSecret, pkg/cmd/pulumi/config/config.go); the rehearsal never stores a password in plain text.
      if (!f.secret && !f.plaintext && /password|secret|token/i.test(key))
        fail(
          `error: config value for '${key}' looks like a secret; rerun with --secret to encrypt it, or --plaintext if you meant to store in plaintext`,
          255,
        );
      const doc = readDoc(file);
      // --path: nested keys; an untyped value is parsed as YAML would (true a boolean, 3 a number: config/value.go).
      const node = f.secret ? doc.createNode({ secure: encrypt(s, raw) }) : f.path ? parse(raw) : raw;
      if (f.path) {
        const [ns, ...rest] = key.split(".");
        doc.setIn(["config", ns, ...rest], node);
      } else doc.setIn(["config", key], node);
      writeFileSync(file, doc.toString());
      return save();
    }
    case "preview":
    case "up": {
      const s = requireStack(f.stack);
      const file = stackFile(f.stack, f);
      decryptAll(s, file);
      if (f["policy-pack-config"] && !existsSync(f["policy-pack-config"]))
        fail(`error: reading policy pack config: ${f["policy-pack-config"]}: no such file`, 255);
      if (cmd === "up") {
        deploy(s, f.stack, file, f);
        s.deployed = true;
        save();
      }
      return console.log(`${cmd} of ${f.stack}: done (stand-in)`);
    }
    case "state": {
      const s = requireStack(f.stack);
      if (sub === "unprotect" && f.all) {
        s.protected = false;
        return save();
      }
      return fail(`error: stand-in pulumi: unknown command 'state ${sub}'`, 2);
    }
    case "destroy": {
      const s = requireStack(f.stack);
      const c = configOf(stackFile(f.stack, f));
      // A protected resource is never deleted: "unable to delete resource ... as it is currently marked for
      // protection" (pkg/engine); and the providers' own deletion protection (GKE deletionProtection, Spanner,
      // buckets' deletionPolicy) refuses until the stack was updated with it off (gumstack:allowDestroy, README).
      if (s.protected) fail("error: unable to delete resource as it is currently marked for protection: pulumi state unprotect", 255);
      if (!s.allowDestroy || String(c["gumstack:allowDestroy"]) !== "true")
        fail(
          "error: Cannot destroy cluster because deletion_protection is set to true. Set it to false to proceed with cluster deletion.",
          255,
        );
      s.deployed = false;
      s.outputs = {};
      return save();
    }
    default:
      return fail(`error: stand-in pulumi: unknown command '${cmd}'`, 2);
  }
}

// --- gcloud --------------------------------------------------------------------------------------------------------
function token(f) {
  if (!state.account)
    fail("ERROR: (gcloud.auth.print-access-token) You do not currently have an active account selected. Please run: gcloud auth login");
  const as = f["impersonate-service-account"];
  // Impersonation needs the service account to exist (and the caller to hold Token Creator on it, which the
  // bootstrap grants the releasers): https://cloud.google.com/iam/docs/service-account-impersonation
  if (as && !state.accounts.includes(as))
    fail(
      `ERROR: (gcloud.auth.print-access-token) NOT_FOUND: Service account ${as} not found (or permission iam.serviceAccounts.getAccessToken denied)`,
    );
  return `ya29.standin.${as ?? state.account}`;
}
function gcloud(args) {
  const words = args.filter((a) => !a.startsWith("--"));
  const f = flags(args);
  const cmd = words.slice(0, 4).join(" ");
  if (cmd.startsWith("auth login")) {
    state.account = "operator@example.com";
    return save();
  }
  if (cmd.startsWith("auth application-default login")) {
    state.adc = true;
    return save();
  }
  if (cmd.startsWith("auth print-access-token")) return process.stdout.write(`${token(f)}\n`);
  if (!state.account) fail("ERROR: (gcloud) You do not currently have an active account selected. Please run: gcloud auth login");
  if (cmd.startsWith("services enable")) return;
  if (cmd.startsWith("storage buckets describe")) {
    if (!state.buckets.includes(words[3].replace(/^gs:\/\//, ""))) fail(`ERROR: (gcloud.storage.buckets.describe) NOT_FOUND: ${words[3]}`);
    return console.log(words[3]);
  }
  if (cmd.startsWith("artifacts docker images describe")) {
    token(f);
    const r = resolveRef(words[4]);
    // A missing image is NOT_FOUND (https://cloud.google.com/sdk/gcloud/reference/artifacts/docker/images/describe).
    if (r.missing) fail(`ERROR: (gcloud.artifacts.docker.images.describe) NOT_FOUND: Requested entity was not found. (${r.missing})`);
    return console.log(r.digest);
  }
  if (cmd.startsWith("artifacts repositories describe ")) {
    token(f);
    const repo = `${f.location}-docker.pkg.dev/${f.project}/${words[3]}`;
    if (!state.repos[repo]) fail(`ERROR: (gcloud.artifacts.repositories.describe) NOT_FOUND: Requested entity was not found. (${repo})`);
    return console.log(`projects/${f.project}/locations/${f.location}/repositories/${words[3]}`);
  }
  if (cmd.startsWith("dns record-sets create ")) {
    state.dns.push({ name: words[3], type: f.type, value: f.rrdatas });
    return save();
  }
  if (cmd.startsWith("certificate-manager certificates describe ")) {
    // The certificate stays PROVISIONING until its DNS authorization's CNAME resolves
    // (https://cloud.google.com/certificate-manager/docs/deploy-google-managed-dns-auth).
    const stack = Object.values(state.backends)
      .flatMap((b) => Object.values(b.stacks))
      .find((s) => s.outputs?.certificateStatusCommand?.includes(` ${words[3]} `));
    const cname = stack?.outputs.dnsRecords.find((r) => r.type === "CNAME");
    if (!cname) fail(`ERROR: (gcloud.certificate-manager.certificates.describe) NOT_FOUND: ${words[3]}`);
    return console.log(state.dns.some((r) => r.name === cname.name && r.value === cname.value) ? "ACTIVE" : "PROVISIONING");
  }
  return fail(`ERROR: stand-in gcloud: unknown command '${cmd}'`, 2);
}

// --- docker, buildah, skopeo -------------------------------------------------------------------------------------
function docker(args) {
  // docker's short flags (-u, -t) as their long forms, so one parser reads both.
  const f = flags(args.slice(1).map((a) => ({ "-u": "--username", "-t": "--tag" })[a] ?? a));
  const host = (ref) => ref.split("/")[0];
  switch (args[0]) {
    case "login": {
      const tok = readFileSync(0, "utf8").trim();
      // Artifact Registry takes an access token as the password of oauth2accesstoken
      // (https://cloud.google.com/artifact-registry/docs/docker/authentication#token).
      if (f.username !== "oauth2accesstoken") fail("Error response from daemon: unauthorized");
      if (!identityOf(tok)) fail('Error response from daemon: Get "https://.../v2/": denied: invalid credentials');
      state.logins[f._[0].replace(/^https:\/\//, "")] = identityOf(tok);
      save();
      return console.log("Login Succeeded");
    }
    case "build": {
      const context = f._[0];
      if (!existsSync(join(context ?? "", "Dockerfile")))
        fail(`ERROR: failed to solve: failed to read dockerfile: open ${context}/Dockerfile: no such file or directory`);
      state.local[f.tag] = Buffer.from(buildManifest(context)).toString("base64");
      return save();
    }
    case "push": {
      const ref = f._[0];
      if (!state.local[ref]) fail(`An image does not exist locally with the tag: ${ref}`);
      const identity = state.logins[host(ref)];
      if (!identity) fail("unauthorized: authentication required (docker login first)");
      const digest = push(ref, Buffer.from(state.local[ref], "base64"), identity);
      save();
      return console.log(`${ref.split(":").pop()}: digest: ${digest} size: 1`);
    }
    default:
      return fail(`stand-in docker: unknown command '${args[0]}'`, 2);
  }
}
function buildah(args) {
  const f = flags(args.slice(1));
  if (args[0] === "bud" || args[0] === "build") {
    if (!existsSync(f.file ?? "")) fail(`Error: the specified Containerfile or Dockerfile does not exist, ${f.file}`);
    state.local[f.tag] = Buffer.from(buildManifest(f._[0], readFileSync(f.file, "utf8"))).toString("base64");
    return save();
  }
  if (args[0] === "push") {
    const [local, dest] = f._;
    if (!state.local[local]) fail(`Error: ${local}: image not known`);
    const digest = push(
      dest.replace(/^docker:\/\//, ""),
      Buffer.from(state.local[local], "base64"),
      identityOf(String(f.creds).split(":")[1]),
    );
    if (f.digestfile) writeFileSync(f.digestfile, digest);
    return save();
  }
  return fail(`stand-in buildah: unknown command '${args[0]}'`, 2);
}
function skopeo(args) {
  const f = flags(args.slice(1));
  const creds = (c) => identityOf(String(c ?? "").split(":")[1]);
  if (args[0] === "inspect") {
    const r = resolveRef(f._[0].replace(/^docker:\/\//, ""));
    if (r.missing) fail(`FATA[0000] Error parsing image name "${f._[0]}": reading manifest: ${r.missing}`);
    return process.stdout.write(Buffer.from(state.manifests[r.digest], "base64"));
  }
  if (args[0] === "copy") {
    const [src, dest] = f._.map((x) => x.replace(/^docker:\/\//, ""));
    const r = resolveRef(src);
    if (r.missing) fail(`FATA[0000] initializing source docker://${src}: reading manifest: ${r.missing}`);
    // --preserve-digests: the copy keeps the manifest bytes (skopeo-copy(1)).
    push(dest, Buffer.from(state.manifests[r.digest], "base64"), creds(f["dest-creds"]));
    return save();
  }
  return fail(`stand-in skopeo: unknown command '${args[0]}'`, 2);
}

const [tool, ...rest] = process.argv.slice(2);
const tools = { pulumi, gcloud, docker, buildah, skopeo };
if (!(tool in tools)) fail(`unknown stand-in ${tool}`, 2);
tools[tool](rest);
