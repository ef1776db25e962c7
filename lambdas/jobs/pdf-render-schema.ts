import * as z from 'zod';

const text = (max: number) => z.string().min(1).max(max);

export const resumeData = z
  .object({
    name: text(120),
    title: text(160).optional(),
    contact: z
      .object({
        email: z.email().optional(),
        phone: text(40).optional(),
        links: z.array(text(300)).max(10).optional(),
      })
      .strict()
      .optional(),
    summary: text(4000).optional(),
    experience: z
      .array(
        z
          .object({
            role: text(160),
            company: text(160),
            start: text(40),
            end: text(40).optional(),
            details: z.array(text(1000)).max(20).optional(),
          })
          .strict(),
      )
      .max(30)
      .optional(),
    education: z
      .array(z.object({ degree: text(200), school: text(200), year: text(40).optional() }).strict())
      .max(20)
      .optional(),
    skills: z.array(text(80)).max(100).optional(),
  })
  .strict();

export const reportData = z
  .object({
    title: text(200),
    subtitle: text(300).optional(),
    sections: z
      .array(
        z
          .object({
            heading: text(200),
            paragraphs: z.array(text(10_000)).max(50).optional(),
            table: z
              .object({
                columns: z.array(text(80)).min(1).max(8),
                rows: z.array(z.array(z.union([z.string().max(200), z.number()]))).max(500),
              })
              .strict()
              .optional(),
          })
          .strict(),
      )
      .min(1)
      .max(50),
  })
  .strict();

/** pdf.render payloads: a template name and its data. */
export const pdfRenderSchema = z.discriminatedUnion('template', [
  z.object({ template: z.literal('resume'), data: resumeData }).strict(),
  z.object({ template: z.literal('report'), data: reportData }).strict(),
]);
export type PdfRenderPayload = z.infer<typeof pdfRenderSchema>;

export const PDF_TEMPLATES = ['resume', 'report'] as const satisfies readonly PdfRenderPayload['template'][];

/** Where a pdf.render job stores its file: it depends only on the job (a retry overwrites). */
export const renderedFileKey = (
  job: { readonly jobId: string; readonly userId: string },
  template: PdfRenderPayload['template'],
): string => `results/rendered/${job.userId}/${job.jobId}/${template}.pdf`;
