/** Removes the build info file `info` when any of `installs` was written after it; true when it did. */
export declare function dropStaleBuildInfo(info: string, installs: readonly string[]): boolean;
/** Where tsc -b keeps its state: tsconfig.json's tsBuildInfoFile, from the repository root. */
export declare const BUILD_INFO: string;
