import { randomBytes } from 'node:crypto';
import { createDeflateRaw, deflateRawSync } from 'node:zlib';
import { Document, Packer, Paragraph, TextRun } from 'docx';
import PDFDocument from 'pdfkit';

/** Raw DEFLATE of `bytes` zeros, compressed as a stream (never holding them all): ~1,000:1. */
export const deflatedZeros = (bytes: number): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const deflate = createDeflateRaw({ level: 9 });
    const chunks: Buffer[] = [];
    deflate.on('data', (chunk: Buffer) => chunks.push(chunk));
    deflate.on('end', () => resolve(Buffer.concat(chunks)));
    deflate.on('error', reject);
    const block = Buffer.alloc(1024 * 1024);
    let left = bytes;
    const write = () => {
      while (left > 0) {
        const size = Math.min(block.length, left);
        left -= size;
        if (!deflate.write(size === block.length ? block : block.subarray(0, size))) {
          deflate.once('drain', write);
          return;
        }
      }
      deflate.end();
    };
    write();
  });

export interface RawZipEntry {
  readonly name: string;
  /** The entry's data as stored in the archive (already deflated when method is 8). */
  readonly data: Buffer;
  /** @default 8 (deflated) */
  readonly method?: number;
  /** What the directory claims the entry inflates to (a bomb may lie). */
  readonly uncompressedSize: number;
}

/** A zip written byte by byte, with whatever sizes the entries claim (CRCs left 0: no reader here checks them). */
export const rawZip = (entries: readonly RawZipEntry[]): Buffer => {
  const locals: Buffer[] = [];
  const directory: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(entry.method ?? 8, 8);
    local.writeUInt32LE(entry.data.length, 18);
    local.writeUInt32LE(entry.uncompressedSize, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, entry.data);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(entry.method ?? 8, 10);
    central.writeUInt32LE(entry.data.length, 20);
    central.writeUInt32LE(entry.uncompressedSize, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    directory.push(central, name);
    offset += local.length + name.length + entry.data.length;
  }
  const directorySize = directory.reduce((sum, part) => sum + part.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directorySize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...directory, end]);
};

/** A deflated entry of `bytes` random (incompressible) bytes. */
export const randomEntry = (name: string, bytes: number): RawZipEntry => ({
  name,
  data: deflateRawSync(randomBytes(bytes)),
  uncompressedSize: bytes,
});

/**
 * A DOCX-looking zip bomb: `word/document.xml` inflates to `bytes` zeros (200 MB by
 * default) from about a thousandth of that. `declaredBytes` is what its directory claims.
 */
export const docxBomb = async (bytes = 200 * 1024 * 1024, declaredBytes: number = bytes): Promise<Buffer> =>
  rawZip([
    { name: '[Content_Types].xml', data: deflateRawSync('<Types/>'), uncompressedSize: 8 },
    { name: 'word/document.xml', data: await deflatedZeros(bytes), uncompressedSize: declaredBytes },
  ]);

/** A real PDF (pdfkit) with one text line per page. */
export const pdfWithPages = (pages: number, line = (page: number) => `Page ${page} of a resume`) =>
  new Promise<Buffer>((resolve, reject) => {
    const document = new PDFDocument({ size: 'A4' });
    const chunks: Buffer[] = [];
    document.on('data', (chunk: Buffer) => chunks.push(chunk));
    document.on('end', () => resolve(Buffer.concat(chunks)));
    document.on('error', reject);
    for (let page = 1; page <= pages; page += 1) {
      if (page > 1) document.addPage();
      document.text(line(page));
    }
    document.end();
  });

/** A real DOCX (docx package), one paragraph per line. */
export const docxOf = (lines: readonly string[]): Promise<Buffer> =>
  Packer.toBuffer(
    new Document({
      sections: [{ children: lines.map((line) => new Paragraph({ children: [new TextRun(line)] })) }],
    }),
  );
