// The Gumstack CrossGuard pack. `pulumi preview --stack prod --policy-pack policies` runs this file (after
// `npm install --prefix policies`); the offline check uses ./rules directly. This file only constructs the
// pack: `new PolicyPack` starts the analyzer's gRPC server.
import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, packArgs, policies } from "./rules";

new PolicyPack(PACK_NAME, { ...packArgs, policies });
