import { inflateRawSync } from 'node:zlib';
import { JobFailure } from '../job-failure';
import { DOCX_LIMITS, tooComplex, type ZipLimits } from './document-limits';

/** One entry as the central directory declares it, with its (still compressed) data. */
export interface ZipEntry {
  /** The name's raw bytes, copied as they are into a rewritten archive. */
  readonly rawName: Buffer;
  readonly name: string;
  readonly utf8Name: boolean;
  /** 0 stored, 8 deflated. */
  readonly method: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly compressed: Buffer;
}

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const CENTRAL_DIRECTORY_HEADER = 0x02014b50;
const LOCAL_FILE_HEADER = 0x04034b50;
const ZIP64_MARKER_32 = 0xffffffff;
const ZIP64_MARKER_16 = 0xffff;
const FLAG_ENCRYPTED = 0x0001;
const FLAG_UTF8_NAME = 0x0800;
const STORED = 0;
const DEFLATED = 8;

const corrupt = (reason: string) =>
  new JobFailure('CORRUPT_FILE', `The DOCX file could not be read; it may be damaged (${reason}).`, {
    retryable: false,
  });

const mb = (bytes: number) => `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;

const findEndOfCentralDirectory = (zip: Buffer): number => {
  // The record is 22 bytes plus a comment of at most 65,535 bytes, at the very end.
  const lowest = Math.max(0, zip.length - 22 - 0xffff);
  for (let offset = zip.length - 22; offset >= lowest; offset -= 1) {
    if (zip.readUInt32LE(offset) === END_OF_CENTRAL_DIRECTORY) return offset;
  }
  throw corrupt('no zip directory');
};

/**
 * Reads a zip's central directory and checks what each entry declares it will inflate to
 * against `limits`, before anything is inflated: a zip bomb is refused from its
 * directory alone (FILE_TOO_COMPLEX); a damaged archive is CORRUPT_FILE. Declared sizes
 * can lie: `inflateEntries` holds every entry to its declared size while inflating.
 */
export const readZipEntries = (bytes: Uint8Array, limits: ZipLimits = DOCX_LIMITS): ZipEntry[] => {
  const zip = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (zip.length < 22) throw corrupt('too short');
  const end = findEndOfCentralDirectory(zip);
  const entryCount = zip.readUInt16LE(end + 10);
  const directorySize = zip.readUInt32LE(end + 12);
  const directoryOffset = zip.readUInt32LE(end + 16);
  if (entryCount === ZIP64_MARKER_16 || directoryOffset === ZIP64_MARKER_32) {
    throw tooComplex('ZIP64 archives are not read');
  }
  if (entryCount > limits.maxEntries) {
    throw tooComplex(`the archive has ${entryCount} entries (at most ${limits.maxEntries})`);
  }
  if (directoryOffset + directorySize > end) throw corrupt('zip directory out of bounds');

  const entries: ZipEntry[] = [];
  let total = 0;
  let offset = directoryOffset;
  for (let index = 0; index < entryCount; index += 1) {
    if (offset + 46 > end || zip.readUInt32LE(offset) !== CENTRAL_DIRECTORY_HEADER) {
      throw corrupt('bad zip directory entry');
    }
    const flags = zip.readUInt16LE(offset + 8);
    const method = zip.readUInt16LE(offset + 10);
    const crc32 = zip.readUInt32LE(offset + 16);
    const compressedSize = zip.readUInt32LE(offset + 20);
    const uncompressedSize = zip.readUInt32LE(offset + 24);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const localOffset = zip.readUInt32LE(offset + 42);
    if (offset + 46 + nameLength > end) throw corrupt('bad zip directory entry');
    const rawName = zip.subarray(offset + 46, offset + 46 + nameLength);
    const name = rawName.toString((flags & FLAG_UTF8_NAME) !== 0 ? 'utf8' : 'latin1');
    offset += 46 + nameLength + extraLength + commentLength;

    if (uncompressedSize === ZIP64_MARKER_32 || compressedSize === ZIP64_MARKER_32) {
      throw tooComplex('ZIP64 archives are not read');
    }
    if (uncompressedSize > limits.maxEntryBytes) {
      throw tooComplex(`"${name}" unpacks to ${mb(uncompressedSize)} (at most ${mb(limits.maxEntryBytes)})`);
    }
    total += uncompressedSize;
    if (total > limits.maxTotalBytes) {
      throw tooComplex(`the archive unpacks to more than ${mb(limits.maxTotalBytes)}`);
    }
    if (
      uncompressedSize > limits.ratioCheckedAboveBytes &&
      uncompressedSize > limits.maxRatio * compressedSize
    ) {
      throw tooComplex(`"${name}" is compressed more than ${limits.maxRatio}:1`);
    }
    if ((flags & FLAG_ENCRYPTED) !== 0) throw corrupt('encrypted');
    if (method !== STORED && method !== DEFLATED) throw corrupt(`compression method ${method}`);
    if (method === STORED && compressedSize !== uncompressedSize) throw corrupt('bad stored entry');

    // The data follows the entry's local header, whose name and extra field may differ in length.
    if (localOffset + 30 > zip.length || zip.readUInt32LE(localOffset) !== LOCAL_FILE_HEADER) {
      throw corrupt('bad local header');
    }
    const dataStart =
      localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28);
    if (dataStart + compressedSize > zip.length) throw corrupt('entry data out of bounds');
    entries.push({
      rawName,
      name,
      utf8Name: (flags & FLAG_UTF8_NAME) !== 0,
      method,
      crc32,
      compressedSize,
      uncompressedSize,
      compressed: zip.subarray(dataStart, dataStart + compressedSize),
    });
  }
  return entries;
};

/**
 * Inflates each entry, never past its declared size (zlib stops at `maxOutputLength`), so
 * an entry that lies about its size is refused after inflating no more than it declared.
 */
export const inflateEntries = (entries: readonly ZipEntry[]): { entry: ZipEntry; data: Buffer }[] =>
  entries.map((entry) => {
    if (entry.method === STORED) return { entry, data: entry.compressed };
    let data: Buffer;
    try {
      data =
        entry.uncompressedSize === 0
          ? Buffer.alloc(0)
          : inflateRawSync(entry.compressed, { maxOutputLength: entry.uncompressedSize });
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
        throw tooComplex(`"${entry.name}" unpacks to more than it declares`);
      }
      throw corrupt(`"${entry.name}" does not inflate`);
    }
    if (data.length !== entry.uncompressedSize) throw corrupt(`"${entry.name}" has the wrong size`);
    return { entry, data };
  });

/**
 * A zip of `files` with every entry stored (not compressed): what a zip reader gets after
 * the entries were inflated here within their limits, so it has nothing left to inflate.
 */
export const writeStoredZip = (files: readonly { entry: ZipEntry; data: Buffer }[]): Buffer => {
  const locals: Buffer[] = [];
  const directory: Buffer[] = [];
  let offset = 0;
  for (const { entry, data } of files) {
    const flags = entry.utf8Name ? FLAG_UTF8_NAME : 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(LOCAL_FILE_HEADER, 0);
    local.writeUInt16LE(20, 4); // version needed: 2.0
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(STORED, 8);
    local.writeUInt32LE(entry.crc32, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(entry.rawName.length, 26);
    locals.push(local, entry.rawName, data);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(CENTRAL_DIRECTORY_HEADER, 0);
    central.writeUInt16LE(20, 4); // version made by
    central.writeUInt16LE(20, 6); // version needed
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(STORED, 10);
    central.writeUInt32LE(entry.crc32, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(entry.rawName.length, 28);
    central.writeUInt32LE(offset, 42);
    directory.push(central, entry.rawName);
    offset += 30 + entry.rawName.length + data.length;
  }
  const directorySize = directory.reduce((sum, part) => sum + part.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(END_OF_CENTRAL_DIRECTORY, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(directorySize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...directory, end]);
};
