// Output values for people (the plan's Outputs section, the fleet reports): a secret, already masked in the
// plan or export, shows as "[secret]" wherever it is nested; everything else as it is.
import { SECRET_SIG } from "./plan.js";

export function maskSecrets(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(maskSecrets);
  if (typeof v !== "object" || v === null) return v;
  if (SECRET_SIG in v) return "[secret]";
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, maskSecrets(x)]));
}
