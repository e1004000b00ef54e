/**
 * The part of Superdesk's client API this extension meets, declared here from Superdesk's documented
 * interface (superdesk-client-core >= 2.8: the `ai-widget` extension's `configure()` and the
 * `superdesk` object it hands to the configuration function). Only what newsbridge uses or returns is
 * declared; Superdesk's own objects have more members, which is compatible.
 */
export {};
