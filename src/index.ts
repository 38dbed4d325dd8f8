// Entry point for `pulumi up`: Pulumi awaits the default export and uses its result as the stack outputs.
import { program } from "./program.js";

export default program;
