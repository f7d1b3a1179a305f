import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  scryptSync,
  constants as cryptoConstants,
  timingSafeEqual,
} from 'node:crypto';
import { AppError } from '../../app/errors.ts';

/**
 * The one container format of backups and tenant exports: named files in one archive, either sealed with
 * AES-256-GCM (the header is the associated data, so a flipped byte anywhere fails the tag) under a key derived
 * from a passphrase (scrypt) or wrapped to an RSA public key (RSA-OAEP-256), or — backups without a secret only —
 * in clear with a SHA-256 over header and body.
 *
 *   "KIMAUTH\x01" | u32 header length | header JSON | body | tag (16 bytes, sealed) or SHA-256 (32 bytes, clear)
 *   body (after opening) = u32 manifest length | manifest JSON [{ name, size }] | the files, in manifest order
 */
const MAGIC = Buffer.from('KIMAUTH\x01', 'latin1');
const TAG_BYTES = 16;
const DIGEST_BYTES = 32;
/** scrypt cost: N=2^15, r=8, p=1 (32 MiB, ~0.1 s): the OWASP-recommended floor for scrypt. */
const SCRYPT = { N: 2 ** 15, r: 8, p: 1 } as const;
const SCRYPT_MAXMEM = 96 * 1024 * 1024;

export type ArchiveKind = 'kimauth-backup' | 'kimauth-tenant-export';

export type Sealing =
  | { type: 'passphrase'; passphrase: string }
  /** A PEM public key (or private key, whose public half is used) to seal to. */
  | { type: 'public-key'; pem: string }
  | { type: 'none' };

/** What opens a sealed archive. */
export type Opening = { passphrase?: string; privateKeyPem?: string };

interface Header {
  format: 1;
  kind: ArchiveKind;
  createdAt: string;
  /** Free-form, not secret: what the archive holds (tenant slug, instance, counts). */
  meta: Record<string, unknown>;
  sealing:
    | { type: 'passphrase'; cipher: 'aes-256-gcm'; iv: string; kdf: { name: 'scrypt'; salt: string; N: number; r: number; p: number } }
    | { type: 'public-key'; cipher: 'aes-256-gcm'; iv: string; wrap: { name: 'rsa-oaep-256'; key: string; keyFingerprint: string } }
    | { type: 'none' };
}

export interface ArchiveFile {
  name: string;
  data: Buffer;
}

export interface OpenedArchive {
  kind: ArchiveKind;
  createdAt: string;
  meta: Record<string, unknown>;
  sealed: boolean;
  files: Map<string, Buffer>;
}

const archiveError = (message: string) => new AppError('validation_error', message);
/** Authentication failed (wrong passphrase or key, a changed byte): exit 1, not a usage error. */
const openingError = (message: string) => new AppError('unauthorized', message);

function packFiles(files: ArchiveFile[]): Buffer {
  const manifest = Buffer.from(JSON.stringify(files.map((f) => ({ name: f.name, size: f.data.length }))));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(manifest.length);
  return Buffer.concat([length, manifest, ...files.map((f) => f.data)]);
}

function unpackFiles(body: Buffer): Map<string, Buffer> {
  const length = body.readUInt32BE(0);
  const manifest = JSON.parse(body.subarray(4, 4 + length).toString('utf8')) as Array<{ name: string; size: number }>;
  const files = new Map<string, Buffer>();
  let at = 4 + length;
  for (const entry of manifest) {
    files.set(entry.name, body.subarray(at, at + entry.size));
    at += entry.size;
  }
  if (at !== body.length) throw archiveError('The archive is damaged (its manifest does not match its contents)');
  return files;
}

function publicKeyOf(pem: string) {
  try {
    return pem.includes('PRIVATE KEY') ? createPublicKey(createPrivateKey(pem)) : createPublicKey(pem);
  } catch {
    throw archiveError('The key file is not a PEM RSA public or private key');
  }
}

function fingerprint(key: ReturnType<typeof createPublicKey>): string {
  return createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

function scryptKey(passphrase: string, salt: Buffer, params: { N: number; r: number; p: number }): Buffer {
  return scryptSync(passphrase.normalize('NFC'), salt, 32, { ...params, maxmem: SCRYPT_MAXMEM });
}

/** Builds an archive; the caller writes it (0600). */
export function sealArchive(kind: ArchiveKind, files: ArchiveFile[], sealing: Sealing, meta: Record<string, unknown>, createdAt: string): Buffer {
  const body = packFiles(files);
  let header: Header;
  let key: Buffer | undefined;
  const iv = randomBytes(12);
  if (sealing.type === 'passphrase') {
    if (sealing.passphrase.length < 8) throw archiveError('The passphrase must be at least 8 characters');
    const salt = randomBytes(16);
    key = scryptKey(sealing.passphrase, salt, SCRYPT);
    header = { format: 1, kind, createdAt, meta, sealing: { type: 'passphrase', cipher: 'aes-256-gcm', iv: iv.toString('base64'), kdf: { name: 'scrypt', salt: salt.toString('base64'), ...SCRYPT } } };
  } else if (sealing.type === 'public-key') {
    const publicKey = publicKeyOf(sealing.pem);
    key = randomBytes(32);
    const wrapped = publicEncrypt({ key: publicKey, padding: cryptoConstants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, key);
    header = {
      format: 1,
      kind,
      createdAt,
      meta,
      sealing: { type: 'public-key', cipher: 'aes-256-gcm', iv: iv.toString('base64'), wrap: { name: 'rsa-oaep-256', key: wrapped.toString('base64'), keyFingerprint: fingerprint(publicKey) } },
    };
  } else {
    header = { format: 1, kind, createdAt, meta, sealing: { type: 'none' } };
  }
  const headerBytes = Buffer.from(JSON.stringify(header));
  const headerLength = Buffer.alloc(4);
  headerLength.writeUInt32BE(headerBytes.length);
  const prefix = Buffer.concat([MAGIC, headerLength, headerBytes]);
  if (!key) return Buffer.concat([prefix, body, createHash('sha256').update(prefix).update(body).digest()]);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(prefix);
  const sealed = Buffer.concat([cipher.update(body), cipher.final()]);
  return Buffer.concat([prefix, sealed, cipher.getAuthTag()]);
}

/** Reads the header only (kind, meta, whether and how it is sealed), without opening the body. */
export function readArchiveHeader(archive: Buffer): Header {
  if (archive.length < MAGIC.length + 4 || !archive.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw archiveError('Not a kimauth archive (wrong magic bytes)');
  }
  const length = archive.readUInt32BE(MAGIC.length);
  try {
    const header = JSON.parse(archive.subarray(MAGIC.length + 4, MAGIC.length + 4 + length).toString('utf8')) as Header;
    if (header.format !== 1) throw new Error(`format ${header.format}`);
    return header;
  } catch {
    throw archiveError('The archive is damaged (unreadable header)');
  }
}

/** Opens an archive of the expected kind; a wrong passphrase or key and any changed byte are refused. */
export function openArchive(archive: Buffer, expected: ArchiveKind, opening: Opening = {}): OpenedArchive {
  const header = readArchiveHeader(archive);
  if (header.kind !== expected) throw archiveError(`This is a ${header.kind} archive, not a ${expected}`);
  const prefixLength = MAGIC.length + 4 + archive.readUInt32BE(MAGIC.length);
  const prefix = archive.subarray(0, prefixLength);
  const result = (body: Buffer): OpenedArchive => ({
    kind: header.kind,
    createdAt: header.createdAt,
    meta: header.meta,
    sealed: header.sealing.type !== 'none',
    files: unpackFiles(body),
  });
  const sealing = header.sealing;
  if (sealing.type === 'none') {
    const body = archive.subarray(prefixLength, archive.length - DIGEST_BYTES);
    const digest = createHash('sha256').update(prefix).update(body).digest();
    if (archive.length < prefixLength + DIGEST_BYTES || !timingSafeEqual(digest, archive.subarray(archive.length - DIGEST_BYTES))) {
      throw openingError('The archive is damaged (checksum mismatch)');
    }
    return result(body);
  }
  let key: Buffer;
  if (sealing.type === 'passphrase') {
    if (opening.passphrase === undefined) throw archiveError('This archive is sealed with a passphrase; give it with --passphrase-stdin');
    const { salt, N, r, p } = sealing.kdf;
    try {
      key = scryptKey(opening.passphrase, Buffer.from(salt, 'base64'), { N, r, p });
    } catch {
      throw archiveError('The archive is damaged (its key-derivation parameters are not valid)');
    }
  } else {
    if (!opening.privateKeyPem) throw archiveError(`This archive is sealed to RSA key ${sealing.wrap.keyFingerprint}; give its private key with --key FILE`);
    try {
      key = privateDecrypt(
        { key: createPrivateKey(opening.privateKeyPem), padding: cryptoConstants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
        Buffer.from(sealing.wrap.key, 'base64'),
      );
    } catch {
      throw openingError(`The key given does not open this archive (sealed to key ${sealing.wrap.keyFingerprint})`);
    }
  }
  if (archive.length < prefixLength + TAG_BYTES) throw archiveError('The archive is damaged (truncated)');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealing.iv, 'base64'));
  decipher.setAAD(prefix);
  decipher.setAuthTag(archive.subarray(archive.length - TAG_BYTES));
  let body: Buffer;
  try {
    body = Buffer.concat([decipher.update(archive.subarray(prefixLength, archive.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw openingError(
      sealing.type === 'passphrase'
        ? 'Wrong passphrase, or the archive was changed or damaged (authentication failed)'
        : 'The archive was changed or damaged (authentication failed)',
    );
  }
  return result(body);
}
