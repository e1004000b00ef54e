// Type check (tsc -p tsconfig.check.json): the package as a newsroom's client code uses it, against the ai-widget
// interface declared in src/superdesk-api.ts. Compiles only if the configuration is what `configure()` takes;
// each @ts-expect-error line must fail, so a declaration too loose to catch a wrong configuration fails the check.
import {newsbridgeAiWidget} from 'newsbridge-superdesk';
import type {Configure, IArticle, IConfigurationOptions, ISuperdesk} from 'newsbridge-superdesk';

declare const configure: Configure;

configure(newsbridgeAiWidget({proxyPath: '/newsbridge', headlineCount: 5, headlineMaxLength: 80}));
configure(newsbridgeAiWidget());

// Superdesk's own objects have more members than declared here: they are accepted as they are.
declare const superdesk: ISuperdesk & {localization: {gettext(text: string): string}; instance: {}};
declare const article: IArticle & {_current_version: number; headline: string; family_id: string};
const options: IConfigurationOptions = newsbridgeAiWidget({translateCaptions: false})(superdesk);
const signal = new AbortController().signal;
const translated: Promise<string> | undefined = options.translations?.generateTranslations(article, 'pl', signal);
const headlines: Promise<string[]> | undefined = options.generateHeadlines?.(article, signal);
const summary: Promise<string> | undefined = options.generateSummary?.(article, signal);
void [translated, headlines, summary];

// @ts-expect-error a summary is a string
configure(() => ({generateSummary: async () => 42}));
// @ts-expect-error headlines are a list of strings
configure(() => ({generateHeadlines: async () => 'one headline'}));
// @ts-expect-error translations need generateTranslations
configure(() => ({translations: {}}));
// @ts-expect-error the configuration function gets the superdesk API, not an article
configure((a: IArticle) => ({generateSummary: async () => a.headline ?? ''}));
// @ts-expect-error an option newsbridgeAiWidget does not have
newsbridgeAiWidget({proxy: '/newsbridge'});
