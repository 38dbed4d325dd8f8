// Pulumi mocks whose outputs are realistic enough for every apply in the program to resolve offline:
// the provider-computed attributes the program reads (cluster endpoint, emails, ids, key paths, DNS
// authorization records) are synthesised from the inputs the way GCP would name them. What GCP (or the random
// provider) assigns only on a real deploy (addresses, project numbers, unique ids, the DNS authorization's
// CNAME target, ...) is invented, and recorded as such: every printer marks it (src/plan/outputs.ts), as
// `pulumi preview` shows an output it cannot know yet as unknown.
import type * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";

type State = Record<string, unknown>;

/** The mark a value the mock engine invented carries wherever a plan, report or export prints it. */
export const MOCK_MARK = "[mock] ";

/** Records an invented value and returns it. */
type Invent = <T extends string>(value: T) => T;

/** A stable fake numeric id (project numbers, unique ids) derived from a string. */
export function fakeNumber(seed: string, digits = 12): string {
  const hex = createHash("sha256").update(seed).digest("hex");
  return (BigInt(`0x${hex.slice(0, 15)}`) % 10n ** BigInt(digits)).toString().padStart(digits, "1");
}

const FAKE_CA = Buffer.from("-----BEGIN CERTIFICATE-----\nMIIB-offline-plan-fake-ca\n-----END CERTIFICATE-----\n").toString("base64");

function str(v: unknown, fallback: string): string {
  return typeof v === "string" && v.length > 0 ? v : fallback;
}

/** Computed outputs per resource type; inputs are echoed back as the provider would. */
function computedOutputs(type: string, name: string, inputs: State, defaultProject: string, invent: Invent): State {
  const project = str(inputs.project, defaultProject);
  const location = str(inputs.location ?? inputs.region, "us-west1");
  const resName = str(inputs.name, name);
  switch (type) {
    case "gcp:container/cluster:Cluster":
      return {
        name: resName,
        endpoint: invent("203.0.113.10"),
        masterAuth: { clusterCaCertificate: invent(FAKE_CA) },
        controlPlaneEndpointsConfig: {
          ...(inputs.controlPlaneEndpointsConfig as State | undefined),
          dnsEndpointConfig: {
            ...((inputs.controlPlaneEndpointsConfig as State | undefined)?.dnsEndpointConfig as State | undefined),
            endpoint: invent(`gke-${fakeNumber(resName, 8)}.${location}.gke.goog`),
          },
        },
        selfLink: `https://container.googleapis.com/v1/projects/${project}/locations/${location}/clusters/${resName}`,
      };
    case "gcp:container/nodePool:NodePool":
      return { name: resName, instanceGroupUrls: [], managedInstanceGroupUrls: [] };
    case "gcp:serviceaccount/account:Account": {
      const email = `${String(inputs.accountId)}@${project}.iam.gserviceaccount.com`;
      return {
        email,
        member: `serviceAccount:${email}`,
        name: `projects/${project}/serviceAccounts/${email}`,
        uniqueId: invent(fakeNumber(email, 21)),
      };
    }
    case "gcp:projects/serviceIdentity:ServiceIdentity": {
      const service = String(inputs.service).replace(".googleapis.com", "");
      // Most agents live in gcp-sa-<service>; GKE's and Compute Engine's keep their historical domains.
      const domain =
        ({ container: "container-engine-robot", compute: "compute-system" } as Record<string, string>)[service] ?? `gcp-sa-${service}`;
      // The agent's address holds the project number, which GCP assigns.
      const email = invent(`service-${invent(fakeNumber(project))}@${domain}.iam.gserviceaccount.com`);
      return { email, member: `serviceAccount:${email}` };
    }
    case "gcp:organizations/project:Project":
      return { number: invent(fakeNumber(String(inputs.projectId))), projectId: inputs.projectId };
    case "gcp:kms/keyRing:KeyRing":
      return { name: resName };
    case "gcp:kms/cryptoKey:CryptoKey":
      return { name: resName };
    case "gcp:compute/globalAddress:GlobalAddress":
      return { name: resName, address: invent("198.51.100.20") };
    case "gcp:compute/address:Address": {
      // A distinct documentation-range (RFC 5737 TEST-NET-3) address per reserved regional address.
      const n = Number(BigInt(`0x${createHash("sha256").update(resName).digest("hex").slice(0, 8)}`) % 254n) + 1;
      return {
        name: resName,
        address: invent(`203.0.113.${n}`),
        selfLink: `https://www.googleapis.com/compute/v1/projects/${project}/regions/${location}/addresses/${resName}`,
      };
    }
    case "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig":
      return {
        name: invent(`projects/${project}/uptimeCheckConfigs/${invent(fakeNumber(name, 10))}`),
        uptimeCheckId: invent(`gumstack-${fakeNumber(name, 10)}`),
      };
    case "gcp:monitoring/notificationChannel:NotificationChannel":
      return { name: invent(`projects/${project}/notificationChannels/${invent(fakeNumber(name, 12))}`) };
    case "gcp:certificatemanager/dnsAuthorization:DnsAuthorization":
      return {
        name: resName,
        dnsResourceRecords: [
          {
            name: `_acme-challenge.${String(inputs.domain)}.`,
            type: "CNAME",
            data: invent(`${fakeNumber(resName, 8)}.authorize.certificatemanager.goog.`),
          },
        ],
      };
    case "gcp:artifactregistry/repository:Repository":
      return {
        name: str(inputs.repositoryId, resName),
        registryUri: `${location}-docker.pkg.dev/${project}/${String(inputs.repositoryId)}`,
      };
    case "gcp:storage/bucket:Bucket":
      return { name: resName, url: `gs://${resName}`, selfLink: `https://www.googleapis.com/storage/v1/b/${resName}` };
    case "kubernetes:node.k8s.io/v1:RuntimeClass":
      // Only ever read (GKE Sandbox owns it): the class as GKE creates it for a sandbox node pool.
      return { apiVersion: "node.k8s.io/v1", kind: "RuntimeClass", metadata: { name: "gvisor" }, handler: "gvisor" };
    case "random:index/randomId:RandomId":
      return {
        hex: invent(
          createHash("sha256")
            .update(name)
            .digest("hex")
            .slice(0, Number(inputs.byteLength ?? 4) * 2),
        ),
        b64Url: invent("b2ZmbGluZQ"),
      };
    case "random:index/randomPassword:RandomPassword":
      return {
        // Invented too, but a secret: masked wherever it is printed, so not recorded (the list is not secret).
        result: createHash("sha256")
          .update(name)
          .digest("base64")
          .slice(0, Number(inputs.length ?? 32)),
      };
    default:
      return { name: resName };
  }
}

/** GCP's id format for the resources whose ids other resources reference (key paths, network links). */
function resourceId(type: string, name: string, inputs: State, defaultProject: string): string | undefined {
  const project = str(inputs.project, defaultProject);
  const location = str(inputs.location ?? inputs.region, "us-west1");
  switch (type) {
    case "gcp:kms/keyRing:KeyRing":
      return `projects/${project}/locations/${location}/keyRings/${name}`;
    case "gcp:kms/cryptoKey:CryptoKey":
      return `${String(inputs.keyRing)}/cryptoKeys/${name}`;
    case "gcp:compute/network:Network":
      return `projects/${project}/global/networks/${name}`;
    case "gcp:compute/subnetwork:Subnetwork":
      return `projects/${project}/regions/${location}/subnetworks/${name}`;
    case "gcp:container/cluster:Cluster":
      return `projects/${project}/locations/${location}/clusters/${name}`;
    case "gcp:spanner/instance:Instance":
      return `${project}/${name}`;
    case "gcp:organizations/project:Project":
      return `projects/${String(inputs.projectId)}`;
    default:
      return undefined;
  }
}

/** Results of provider functions (invokes) the program may call. */
function callResult(token: string, inputs: State, defaultProject: string, invent: Invent): State {
  switch (token) {
    case "gcp:organizations/getProject:getProject": {
      const projectId = str(inputs.projectId, defaultProject);
      return { projectId, number: invent(fakeNumber(projectId)), name: projectId };
    }
    case "gcp:organizations/getClientOpenIdUserInfo:getClientOpenIdUserInfo":
      // The deploying identity's email (RFC 2606 example domain: plainly not a real account).
      return { email: invent("deployer@example.com"), id: invent("deployer@example.com") };
    case "gcp:organizations/getClientConfig:getClientConfig":
      return { project: defaultProject, region: "us-west1", accessToken: invent("offline-plan-token") };
    case "gcp:storage/getProjectServiceAccount:getProjectServiceAccount": {
      const project = str(inputs.project, defaultProject);
      const email = invent(`service-${invent(fakeNumber(project))}@gs-project-accounts.iam.gserviceaccount.com`);
      return { emailAddress: email, member: `serviceAccount:${email}` };
    }
    case "gcp:kms/getKMSCryptoKeyVersion:getKMSCryptoKeyVersion": {
      // An asymmetric key's first version and its public key (the attestor's verification key).
      const name = `${String(inputs.cryptoKey)}/cryptoKeyVersions/${Number(inputs.version ?? 1)}`;
      const pem = invent(`-----BEGIN PUBLIC KEY-----\noffline-plan-${fakeNumber(name, 16)}\n-----END PUBLIC KEY-----\n`);
      return {
        name,
        version: Number(inputs.version ?? 1),
        algorithm: "EC_SIGN_P256_SHA256",
        publicKeys: [{ algorithm: "EC_SIGN_P256_SHA256", pem }],
      };
    }
    default:
      return {};
  }
}

/**
 * Mocks for the offline plan and the tests; `defaultProject` stands in for the provider's `gcp:project`. Every
 * value they invent is added to `invented` (ids GCP would assign among them; ids in GCP's own path format, which
 * follow from the inputs, are not invented).
 */
export function platformMocks(defaultProject: string, invented: Set<string> = new Set()): pulumi.runtime.Mocks {
  const invent: Invent = (value) => {
    invented.add(value);
    return value;
  };
  return {
    newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: State } {
      const state = { ...args.inputs, ...computedOutputs(args.type, args.name, args.inputs, defaultProject, invent) };
      const id = args.type.startsWith("pulumi:providers:")
        ? invent(`${args.name}-provider-id`)
        : (resourceId(args.type, String(state.name ?? args.name), args.inputs, defaultProject) ?? invent(`${args.name}-id`));
      return { id, state: { ...state, id } };
    },
    call(args: pulumi.runtime.MockCallArgs): State {
      return callResult(args.token, args.inputs, defaultProject, invent);
    },
  };
}
