/** The sections a resume is split into. */
export interface ResumeSections {
  readonly contact: {
    readonly name?: string;
    readonly email?: string;
    readonly phone?: string;
    readonly links: string[];
  };
  readonly summary: string;
  readonly experience: string;
  readonly education: string;
  readonly skills: string[];
}

type SectionName = 'summary' | 'experience' | 'education' | 'skills';

/** Heading words per section, as resumes commonly title them (compared case-insensitively). */
const HEADINGS: Readonly<Record<SectionName, readonly string[]>> = {
  summary: [
    'summary',
    'professional summary',
    'profile',
    'professional profile',
    'objective',
    'career objective',
    'about',
    'about me',
  ],
  experience: [
    'experience',
    'work experience',
    'professional experience',
    'employment',
    'employment history',
    'work history',
    'career history',
  ],
  education: [
    'education',
    'academic background',
    'education and training',
    'qualifications',
    'academic qualifications',
  ],
  skills: [
    'skills',
    'technical skills',
    'key skills',
    'core competencies',
    'competencies',
    'technologies',
    'tech stack',
  ],
};

const HEADING_BY_TEXT = new Map<string, SectionName>(
  Object.entries(HEADINGS).flatMap(([section, words]) => words.map((word) => [word, section as SectionName])),
);

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/;
const PHONE = /\+?\(?\d[\d\s().-]{7,}\d/;
const LINK = /\b(?:https?:\/\/|www\.)[^\s|,;]+|\b(?:linkedin\.com|github\.com)\/[^\s|,;]+/gi;

/** The section a line heads, if it is a heading ("Work Experience", "SKILLS:", "## Education"). */
const headingOf = (line: string): SectionName | undefined => {
  const text = line
    .replace(/^[#*\-=\s]+|[:\-=*\s]+$/g, '')
    .toLowerCase()
    .replace(/\s+/g, ' ');
  if (text.length === 0 || text.length > 40) return undefined;
  return HEADING_BY_TEXT.get(text);
};

const splitSkills = (text: string): string[] => {
  const seen = new Set<string>();
  const skills: string[] = [];
  for (const part of text.split(/[\n,;•·|]+|\s-\s|\u2022/)) {
    const skill = part.replace(/^[\s*\-–]+|[\s.]+$/g, '').trim();
    const key = skill.toLowerCase();
    if (skill.length === 0 || skill.length > 60 || seen.has(key)) continue;
    seen.add(key);
    skills.push(skill);
  }
  return skills;
};

/**
 * Splits resume text into contact, summary, experience, education and skills. It is
 * deterministic: headings are recognised by a fixed vocabulary, everything before the
 * first heading is the contact block, and text under a repeated heading is appended.
 */
export const parseSections = (text: string): ResumeSections => {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const bodies: Record<SectionName | 'contact', string[]> = {
    contact: [],
    summary: [],
    experience: [],
    education: [],
    skills: [],
  };
  let current: SectionName | 'contact' = 'contact';
  for (const raw of lines) {
    const line = raw.trim();
    const heading = headingOf(line);
    if (heading) {
      current = heading;
      continue;
    }
    if (line.length > 0) bodies[current].push(line);
  }
  const contactText = bodies.contact.join('\n');
  const searchable = bodies.contact.length > 0 ? contactText : lines.slice(0, 10).join('\n');
  const name = bodies.contact.find(
    (line) => !EMAIL.test(line) && !PHONE.test(line) && !LINK.test(line) && /[A-Za-z]/.test(line),
  );
  LINK.lastIndex = 0;
  return {
    contact: {
      ...(name ? { name: name.slice(0, 120) } : {}),
      ...(EMAIL.exec(searchable) ? { email: EMAIL.exec(searchable)?.[0] } : {}),
      ...(PHONE.exec(searchable) ? { phone: PHONE.exec(searchable)?.[0]?.trim() } : {}),
      links: [...new Set(searchable.match(LINK) ?? [])],
    },
    summary: bodies.summary.join('\n'),
    experience: bodies.experience.join('\n'),
    education: bodies.education.join('\n'),
    skills: splitSkills(bodies.skills.join('\n')),
  };
};
