/** True when `installed` (npm's hidden lockfile) is newer than every one of `sources` that exists. */
export declare function upToDate(installed: string, sources: readonly string[]): boolean;
