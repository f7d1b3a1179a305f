import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

/**
 * The instance master key file (`master.key`, mode 0600; `<dataDir>/master.key` unless KIMAUTH_MASTER_KEY_FILE or
 * systemd's LoadCredential puts it elsewhere, config.masterKeyFile). It holds every master key the instance has had,
 * so material encrypted or HMAC-ed under an older key (audit entries, private keys) stays readable after
 * a master-key rotation; `current` is the one used for new material.
 */
export const MASTER_KEY_FILE = 'master.key';

export interface MasterKeyring {
  currentId: string;
  /** Raw 32-byte keys by id. */
  keys: Map<string, Buffer>;
  /**
   * The key file the ring was read from. A key id this process has not seen (another process ran
   * `keys rotate-master`) is then looked up in the file again instead of failing until a restart.
   */
  source?: string;
}

interface MasterKeyFile {
  version: 1;
  current: string;
  keys: Record<string, string>;
}

/**
 * SHA-256 in JavaScript: every command checks the key file's ids when it opens the instance, and node:crypto costs a
 * start ~10 ms to load for this one digest (issue 14); the commands that use a key load it anyway.
 */
function keyIdOf(key: Buffer): string {
  return bytesToHex(sha256(key)).slice(0, 16);
}

export function generateMasterKeyring(): MasterKeyring {
  const key = randomBytes(32);
  const id = keyIdOf(key);
  return { currentId: id, keys: new Map([[id, key]]) };
}

/** Adds a fresh key and makes it current; old keys stay for reading. */
export function rotateMasterKeyring(ring: MasterKeyring): MasterKeyring {
  const key = randomBytes(32);
  const id = keyIdOf(key);
  return { currentId: id, keys: new Map([...ring.keys, [id, key]]) };
}


/**
 * Writes the key file atomically (temp file, fsync, rename): a crash leaves either the old file or the new one,
 * never a torn file that would make every private key and audit HMAC unreadable.
 */
export function writeMasterKeyring(target: string, ring: MasterKeyring): void {
  const file: MasterKeyFile = {
    version: 1,
    current: ring.currentId,
    keys: Object.fromEntries([...ring.keys].map(([id, k]) => [id, k.toString('base64')])),
  };
  const temp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const fd = openSync(temp, 'wx', 0o600);
    try {
      writeSync(fd, JSON.stringify(file, null, 2) + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, target);
  } finally {
    rmSync(temp, { force: true });
  }
  // The rename itself survives a crash only once the directory entry is on disk.
  const dirFd = openSync(path.dirname(target), 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

export function readMasterKeyring(file: string): MasterKeyring {
  if (!existsSync(file)) throw new Error(`master key file ${file} is missing`);
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as MasterKeyFile;
  const keys = new Map(Object.entries(parsed.keys).map(([id, b64]) => [id, Buffer.from(b64, 'base64')]));
  if (!keys.has(parsed.current)) throw new Error(`master key file ${file} names an unknown current key`);
  for (const [id, key] of keys) {
    if (key.length !== 32 || keyIdOf(key) !== id) throw new Error(`master key file ${file}: key ${id} is damaged`);
  }
  return { currentId: parsed.current, keys, source: file };
}

export function masterKey(ring: MasterKeyring, id: string = ring.currentId): Buffer {
  let key = ring.keys.get(id);
  if (!key && ring.source) {
    // Only new keys are taken from the file; this process keeps its current key until it restarts.
    for (const [knownId, k] of readMasterKeyring(ring.source).keys) if (!ring.keys.has(knownId)) ring.keys.set(knownId, k);
    key = ring.keys.get(id);
  }
  if (!key) throw new Error(`master key ${id} is not in the keyring`);
  return key;
}

/** A purpose-bound subkey (HKDF-SHA256), so the master key itself never signs or encrypts two kinds of data. */
export function deriveKey(ring: MasterKeyring, purpose: string, id: string = ring.currentId): Buffer {
  // A key id always names the same key, so its subkeys are derived once per ring (hot paths open a sealed secret
  // per request: a TOTP check, an outbox row).
  let derived = derivedKeys.get(ring);
  if (!derived) derivedKeys.set(ring, (derived = new Map()));
  const slot = `${id}\u0000${purpose}`;
  let key = derived.get(slot);
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', masterKey(ring, id), Buffer.alloc(0), `kimauth:${purpose}`, 32));
    derived.set(slot, key);
  }
  return key;
}

const derivedKeys = new WeakMap<MasterKeyring, Map<string, Buffer>>();

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** AES-256-GCM; output is iv | tag | ciphertext. `context` is bound as associated data. */
export function encryptSecret(ring: MasterKeyring, plaintext: Buffer, context: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', deriveKey(ring, 'secret-encryption'), iv);
  cipher.setAAD(Buffer.from(context));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

export function decryptSecret(ring: MasterKeyring, sealed: Buffer, context: string, keyId: string): Buffer {
  const iv = sealed.subarray(0, IV_BYTES);
  const tag = sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', deriveKey(ring, 'secret-encryption', keyId), iv);
  decipher.setAAD(Buffer.from(context));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
}

/**
 * encryptSecret as one text value, `<masterKeyId>.<base64 iv|tag|ciphertext>`, for secrets kept in a text column
 * (outbox message data, a refresh token's sealed successor). The key id travels with it, so rotate-master never
 * has to rewrite these short-lived values.
 */
export function sealToText(ring: MasterKeyring, plaintext: string, context: string): string {
  return `${ring.currentId}.${encryptSecret(ring, Buffer.from(plaintext), context).toString('base64')}`;
}

export function openSealedText(ring: MasterKeyring, sealed: string, context: string): string {
  const dot = sealed.indexOf('.');
  return decryptSecret(ring, Buffer.from(sealed.slice(dot + 1), 'base64'), context, sealed.slice(0, dot)).toString('utf8');
}
