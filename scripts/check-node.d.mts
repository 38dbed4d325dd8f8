/** Whether `version` ("22.13.0") satisfies `range` (alternatives of ^X.Y.Z or >=X.Y.Z joined by ||). */
export declare function satisfies(version: string, range: string): boolean;
/** The one-line message for Node `version` against `range` (package.json engines.node), or undefined when it satisfies it. */
export declare function nodeVersionProblem(version: string, range: string): string | undefined;
