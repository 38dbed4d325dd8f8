// Types of scripts/deploy-checks.mjs, for the tests that hold the stack files to its placeholders.
export declare const PLACEHOLDER_DIGEST: string;
export declare const SECRET_PLACEHOLDER: string;
export declare const IMAGE_PINS: readonly { ns: string; key: string; publisher: string; onlyIf?: string }[];
/** One line per image of the stack still pinned to PLACEHOLDER_DIGEST. */
export declare function placeholderProblems(text: string, stack: string): string[];
/** The keys whose value is `secure:`, the committed placeholder's flagged. */
export declare function secureKeys(text: string): { key: string; placeholder: boolean }[];
