/** Words that carry no skill: English function words and the filler of job adverts. */
const STOPWORDS = new Set(
  `a about above across after again against all also am an and any are as at be because been before being below
between both but by can could did do does doing down during each either etc few for from further had has have
having he her here hers him his how i if in into is it its itself just least less let like may me might more
most must my no nor not now of off on once only or other our ours out over own per please same shall she should
so some such than that the their theirs them then there these they this those through to too under until up
upon us very via was we were what when where which while who whom why will with within without would yet you
your yours ability able apply applicant applicants candidate candidates company excellent experience
experienced good great ideal including job join looking new plus preferred required requirements
responsibilities responsible role skills strong team teams work working year years knowledge understanding
using use used well wide including across environment opportunity position`.split(/\s+/),
);

/** Keeps c++, c#, node.js, ci/cd-style terms whole. */
const TOKEN = /[a-z0-9][a-z0-9+#./-]*[a-z0-9+#]|[a-z0-9]/g;

export const tokenize = (text: string): string[] =>
  (text.toLowerCase().match(TOKEN) ?? [])
    .map((token) => token.replace(/\.$/, ''))
    .filter((token) => token.length > 1 && !/^\d+$/.test(token));

const isKeyword = (token: string) => !STOPWORDS.has(token);

export interface Keyword {
  readonly term: string;
  readonly weight: number;
}

/** Most keywords kept per description. */
const MAX_KEYWORDS = 25;

/**
 * The description's keywords: single terms and two-word phrases that are not filler,
 * weighted by how often they occur (phrases count double). Ties keep first appearance,
 * so the same text always yields the same list.
 */
export const extractKeywords = (text: string): Keyword[] => {
  const tokens = tokenize(text);
  const counts = new Map<string, { count: number; first: number; phrase: boolean }>();
  const add = (term: string, position: number, phrase: boolean) => {
    const entry = counts.get(term);
    if (entry) entry.count += 1;
    else counts.set(term, { count: 1, first: position, phrase });
  };
  tokens.forEach((token, index) => {
    if (!isKeyword(token)) return;
    add(token, index, false);
    const next = tokens[index + 1];
    if (next && isKeyword(next)) add(`${token} ${next}`, index, true);
  });
  return (
    [...counts.entries()]
      // A phrase seen once is usually an accident of word order; keep repeated phrases only.
      .filter(([, entry]) => !entry.phrase || entry.count > 1)
      .map(([term, entry]) => ({ term, weight: entry.count * (entry.phrase ? 2 : 1), first: entry.first }))
      .sort((a, b) => b.weight - a.weight || a.first - b.first)
      .slice(0, MAX_KEYWORDS)
      .map(({ term, weight }) => ({ term, weight }))
  );
};

export interface AtsScore {
  /** 0–100: the share of the description's keyword weight the resume covers. */
  readonly score: number;
  readonly matchedKeywords: string[];
  readonly missingKeywords: string[];
}

/** Scores a resume against one job description. */
export const scoreResume = (resumeText: string, descriptionText: string): AtsScore | undefined => {
  const keywords = extractKeywords(descriptionText);
  if (keywords.length === 0) return undefined;
  const resumeTokens = tokenize(resumeText);
  const present = new Set(resumeTokens);
  const phrases = new Set(resumeTokens.slice(1).map((token, index) => `${resumeTokens[index]} ${token}`));
  const matched = keywords.filter(({ term }) => (term.includes(' ') ? phrases.has(term) : present.has(term)));
  const total = keywords.reduce((sum, keyword) => sum + keyword.weight, 0);
  const covered = matched.reduce((sum, keyword) => sum + keyword.weight, 0);
  const matchedTerms = new Set(matched.map(({ term }) => term));
  return {
    score: Math.round((100 * covered) / total),
    matchedKeywords: [...matchedTerms],
    missingKeywords: keywords.map(({ term }) => term).filter((term) => !matchedTerms.has(term)),
  };
};
