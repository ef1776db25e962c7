import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type * as z from 'zod';
import { readConfig } from '../core/config';
import { s3Client } from '../core/s3-client';
import type { JobContext } from './job-type';
import {
  type PdfRenderPayload,
  renderedFileKey,
  type reportData,
  type resumeData,
} from './pdf-render-schema';

/** How long the download link of a rendered PDF stays valid. */
const DOWNLOAD_URL_SECONDS = 3600;

type Doc = PDFKit.PDFDocument;

const heading = (doc: Doc, label: string) => {
  doc.moveDown(0.8).font('Helvetica-Bold').fontSize(13).fillColor('#1f3a5f').text(label.toUpperCase());
  doc
    .moveTo(doc.page.margins.left, doc.y + 2)
    .lineTo(doc.page.width - doc.page.margins.right, doc.y + 2)
    .strokeColor('#1f3a5f')
    .lineWidth(0.7)
    .stroke();
  doc.moveDown(0.4).font('Helvetica').fontSize(10.5).fillColor('black');
};

const renderResume = (doc: Doc, data: z.infer<typeof resumeData>) => {
  doc.font('Helvetica-Bold').fontSize(22).text(data.name);
  if (data.title) doc.font('Helvetica').fontSize(13).fillColor('#444').text(data.title).fillColor('black');
  const contact = [data.contact?.email, data.contact?.phone, ...(data.contact?.links ?? [])].filter(Boolean);
  if (contact.length > 0) doc.font('Helvetica').fontSize(10).text(contact.join('  |  '));
  if (data.summary) {
    heading(doc, 'Summary');
    doc.text(data.summary);
  }
  if (data.experience?.length) {
    heading(doc, 'Experience');
    for (const job of data.experience) {
      doc.font('Helvetica-Bold').text(`${job.role}, ${job.company}`, { continued: true });
      doc.font('Helvetica').text(`   ${job.start} – ${job.end ?? 'present'}`);
      for (const detail of job.details ?? []) doc.text(`•  ${detail}`, { indent: 12 });
      doc.moveDown(0.4);
    }
  }
  if (data.education?.length) {
    heading(doc, 'Education');
    for (const entry of data.education) {
      doc.text(`${entry.degree}, ${entry.school}${entry.year ? ` (${entry.year})` : ''}`);
    }
  }
  if (data.skills?.length) {
    heading(doc, 'Skills');
    doc.text(data.skills.join(' · '));
  }
};

const renderTable = (doc: Doc, table: { columns: string[]; rows: (string | number)[][] }) => {
  const width = doc.page.width - doc.page.margins.left - doc.page.margins.right;
  const columnWidth = width / table.columns.length;
  const row = (cells: (string | number)[], bold: boolean) => {
    if (doc.y > doc.page.height - doc.page.margins.bottom - 30) doc.addPage();
    const top = doc.y;
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(9.5);
    let bottom = top;
    cells.forEach((cell, index) => {
      doc.text(String(cell), doc.page.margins.left + index * columnWidth, top, { width: columnWidth - 6 });
      bottom = Math.max(bottom, doc.y);
    });
    doc.x = doc.page.margins.left;
    doc.y = bottom + 3;
  };
  row(table.columns, true);
  for (const cells of table.rows)
    row(
      table.columns.map((_, index) => cells[index] ?? ''),
      false,
    );
  doc.font('Helvetica').fontSize(10.5);
};

const renderReport = (doc: Doc, data: z.infer<typeof reportData>) => {
  doc.font('Helvetica-Bold').fontSize(20).text(data.title);
  if (data.subtitle)
    doc.font('Helvetica').fontSize(12).fillColor('#444').text(data.subtitle).fillColor('black');
  for (const section of data.sections) {
    heading(doc, section.heading);
    for (const paragraph of section.paragraphs ?? []) doc.text(paragraph).moveDown(0.5);
    if (section.table) renderTable(doc, section.table);
  }
};

/** Renders a template to PDF bytes with pdfkit; returns the bytes and the page count. */
export const renderPdf = async (
  payload: PdfRenderPayload,
  signal?: AbortSignal,
): Promise<{ bytes: Buffer; pages: number }> => {
  const { default: PDFDocument } = await import('pdfkit');
  const doc = new PDFDocument({
    size: 'A4',
    margin: 50,
    bufferPages: true,
    info: { Title: payload.template, Producer: 'jobqueue' },
  });
  const chunks: Buffer[] = [];
  const finished = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  if (payload.template === 'resume') renderResume(doc, payload.data);
  else renderReport(doc, payload.data);
  signal?.throwIfAborted();
  const pages = doc.bufferedPageRange().count;
  doc.end();
  return { bytes: await finished, pages };
};

/**
 * pdf.render: renders the `resume` or `report` template to a PDF in S3 and returns
 * `{ fileKey, downloadUrl, bytes, pages }` (the link is a presigned GET, valid one hour).
 * The key depends only on the job, so a retried attempt overwrites rather than duplicates.
 */
export const renderPdfJob = async (context: JobContext<PdfRenderPayload>) => {
  const config = readConfig(['bucketName']);
  await context.progress({ percent: 10, stage: 'rendering' });
  const { bytes, pages } = await renderPdf(context.payload, context.signal);
  await context.progress({ percent: 70, stage: 'storing', message: `${pages} page(s)` });
  const fileKey = renderedFileKey(context, context.payload.template);
  await s3Client.send(
    new PutObjectCommand({
      Bucket: config.bucketName,
      Key: fileKey,
      Body: bytes,
      ContentType: 'application/pdf',
      ContentDisposition: `inline; filename="${context.payload.template}.pdf"`,
    }),
    { abortSignal: context.signal },
  );
  const downloadUrl = await getSignedUrl(
    s3Client,
    new GetObjectCommand({ Bucket: config.bucketName, Key: fileKey }),
    {
      expiresIn: DOWNLOAD_URL_SECONDS,
    },
  );
  return { fileKey, downloadUrl, bytes: bytes.length, pages };
};
