// Entry point for `pulumi up` in bootstrap/: Pulumi awaits the default export and uses it as the stack outputs.
import { program } from "./program.js";

export default program;
