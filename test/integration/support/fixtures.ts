import { Document, Packer, Paragraph, TextRun } from 'docx';
import PDFDocument from 'pdfkit';

/** The resume every fixture carries, one line per entry. */
export const RESUME_LINES = [
  'Ada Lovelace',
  'ada@example.com | +44 20 7946 0000 | github.com/ada',
  'Summary',
  'Mathematician who writes programs for analytical engines.',
  'Experience',
  'Analyst, Babbage & Co, 1842 - 1843: wrote the first published algorithm.',
  'Education',
  'Private tutoring in mathematics, London',
  'Skills',
  'TypeScript, AWS Lambda, DynamoDB, Algorithms',
];

/** A real PDF (pdfkit), one text line per entry, over two pages. */
export const resumePdf = (lines: readonly string[] = RESUME_LINES): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const document = new PDFDocument({ size: 'A4' });
    const chunks: Buffer[] = [];
    document.on('data', (chunk: Buffer) => chunks.push(chunk));
    document.on('end', () => resolve(Buffer.concat(chunks)));
    document.on('error', reject);
    lines.forEach((line, index) => {
      if (index === Math.ceil(lines.length / 2)) document.addPage();
      document.text(line);
    });
    document.end();
  });

/** A real DOCX (docx package), one paragraph per entry. */
export const resumeDocx = (lines: readonly string[] = RESUME_LINES): Promise<Buffer> =>
  Packer.toBuffer(
    new Document({
      sections: [{ children: lines.map((line) => new Paragraph({ children: [new TextRun(line)] })) }],
    }),
  );
