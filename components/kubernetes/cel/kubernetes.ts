// Kubernetes types the guards' variables are declared with, by OpenAPI definition name (the names
// kubernetes-models and the API server's /openapi/v3 use), and the type Kubernetes gives the request.
// https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/#type-checking
import { t } from "./expr.js";

export const k8s = {
  PodSpec: t.object("io.k8s.api.core.v1.PodSpec"),
  Container: t.object("io.k8s.api.core.v1.Container"),
  Volume: t.object("io.k8s.api.core.v1.Volume"),
  ObjectMeta: t.object("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"),
} as const;
