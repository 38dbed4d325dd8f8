// IPv4/IPv6 CIDR helpers live in the policy pack, which the Pulumi CLI loads on its own; one module serves both.
export * from "../../policies/lib/cidr";
