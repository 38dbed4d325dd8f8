// Types of scripts/build.mjs, for the tests that build the CLI bundles.
export declare const ROOT: string;
export declare const OUT_DIR: string;
export declare const ENTRIES: readonly string[];
/** Builds every CLI bundle (nothing when they are up to date); resolves to the bundle paths, relative to the repository root. */
export declare function buildClis(): Promise<string[]>;
