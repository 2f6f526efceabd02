/** Version of the SDK, sent as the assertions' `sdk` claim (kept equal to package.json by a test). */
export const SDK_VERSION = '0.1.0';
