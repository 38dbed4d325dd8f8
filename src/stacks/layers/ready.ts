// Readiness carried by outputs, so a caller cannot get an order wrong: `after(value, ready)` is `value`, resolving
// only once every resource in `ready` exists. Pulumi records each resource behind an Output passed as an input as
// a dependency of the resource that takes it, so whatever takes the value is created after them.
import * as pulumi from "@pulumi/pulumi";

/**
 * `value`, once `ready` exist. It waits on their URNs, not on an output property: the SDK resolves a URN from the
 * engine's answer to the resource's registration, which comes once the resource is created (or found unchanged),
 * and a URN is known in a preview, so an existing stack's preview still shows the value itself, not an unknown
 * that would read as a change.
 */
export function after(value: pulumi.Output<string>, ready: readonly pulumi.Resource[]): pulumi.Output<string> {
  return pulumi.all([value, pulumi.all(ready.map((r) => r.urn))]).apply(([v]) => v);
}
