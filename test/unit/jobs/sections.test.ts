import { parseSections } from '../../../lambdas/jobs/resume/sections';
import { sniffFormat } from '../../../lambdas/jobs/resume/text-extraction';

describe('parseSections', () => {
  const resume = [
    'Grace Hopper',
    'grace@navy.example | (555) 010-7788 | https://grace.example.dev',
    '',
    'PROFESSIONAL SUMMARY:',
    'Computer scientist and rear admiral.',
    '## Work Experience',
    'Programmer, Harvard Mark I, 1944-1949',
    'Senior mathematician, Eckert-Mauchly, 1949-1952',
    'Education',
    'PhD Mathematics, Yale, 1934',
    'Technical Skills',
    '• COBOL • FLOW-MATIC, compilers; Compilers',
  ].join('\n');

  test('splits by recognised headings, whatever their case and decoration', () => {
    expect(parseSections(resume)).toEqual({
      contact: {
        name: 'Grace Hopper',
        email: 'grace@navy.example',
        phone: '(555) 010-7788',
        links: ['https://grace.example.dev'],
      },
      summary: 'Computer scientist and rear admiral.',
      experience: 'Programmer, Harvard Mark I, 1944-1949\nSenior mathematician, Eckert-Mauchly, 1949-1952',
      education: 'PhD Mathematics, Yale, 1934',
      skills: ['COBOL', 'FLOW-MATIC', 'compilers'],
    });
  });

  test('is deterministic and tolerates a resume without headings', () => {
    expect(parseSections(resume)).toEqual(parseSections(resume));
    const bare = parseSections('Just a name\nsomeone@example.com');
    expect(bare).toMatchObject({
      contact: { name: 'Just a name', email: 'someone@example.com' },
      skills: [],
    });
  });

  test('a long line mentioning a heading word is body text, not a heading', () => {
    const parsed = parseSections(
      'Name\nExperience\nI gained experience in education and skills over many years',
    );
    expect(parsed.experience).toBe('I gained experience in education and skills over many years');
    expect(parsed.education).toBe('');
  });
});

describe('sniffFormat', () => {
  test.each([
    ['%PDF-1.7 …', 'application/octet-stream', 'pdf'],
    ['PK\u0003\u0004…', 'application/octet-stream', 'docx'],
    ['plain words', 'text/plain; charset=utf-8', 'txt'],
  ])('%j declared %s is %s', (head, type, format) => {
    expect(sniffFormat(Buffer.from(head, 'latin1'), type)).toBe(format);
  });

  test('anything else is UNSUPPORTED_FILE, not retryable', () => {
    expect(() => sniffFormat(Buffer.from([0x89, 0x50, 0x4e, 0x47]), 'image/png')).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_FILE', retryable: false }),
    );
  });
});
