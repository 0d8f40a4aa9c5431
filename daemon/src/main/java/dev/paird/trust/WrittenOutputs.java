package dev.paird.trust;

import dev.paird.identity.TrustedPkcs12;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Withdraws a certificate from {@code trusted.pem} and {@code trusted.p12} where it lies, for a
 * {@code remove}: one byte of each file, flushed, where writing both whole and flushing them took a
 * {@code remove} from some 10 ms to 40 ms at 10,000 peers (10.5 MB). Keeps, to find the entries,
 * what {@code trusted.p12} holds entry by entry as last written whole; {@code trusted.pem} holds
 * the list before the change, since the store writes it whole again right after each withdrawal.
 *
 * <p>A reader reads a file in pieces (stdio, and so OpenSSL, 4 KiB at a time), and may read some
 * before a write and the rest after it: so one byte a file, which every reader sees old or new:
 *
 * <ul>
 *   <li>in {@code trusted.pem}, the first hyphen of the block's {@code -----BEGIN CERTIFICATE-----}
 *       line becomes {@code #}. OpenSSL, GnuTLS, Go, rustls, mbed TLS and wolfSSL find a block only
 *       by five hyphens and {@code BEGIN}: they read the file without this certificate and with
 *       every other. Java's PEM reader takes the END line left alone for a block's start and
 *       refuses the whole file, which is why the store then writes {@code trusted.pem} whole,
 *       without the entry, and renames it into place; only a reader that has the old file open, or
 *       the file after a power cut in the next moments, can see the withdrawn form;
 *   <li>in {@code trusted.p12}, the last byte of the bag's type, PKCS#12's certBag
 *       (1.2.840.113549.1.12.10.1.3), becomes 0, a bag type that does not exist: Java and OpenSSL
 *       skip bags of a type they do not know, so the entry is no longer read at all. It stays there
 *       until the file is next written whole: by the next pairing, or at the next start ({@link
 *       TrustStore#open} rewrites a file that is not exactly what the list says).
 * </ul>
 *
 * Nothing is changed unless both files hold, at the place worked out, exactly what paird wrote
 * there; otherwise the caller writes them whole, as every change once did.
 *
 * <p>Not thread-safe: the store's writes are serialized.
 */
final class WrittenOutputs {
  private static final byte[] END_LINE = "\n-----END ".getBytes(StandardCharsets.US_ASCII);

  /** The peers whose entries {@code trusted.p12} holds, in its order, withdrawn ones included. */
  private final List<TrustedPeer> written;

  /**
   * The lengths of the withdrawn peers' entries in {@code trusted.p12}, which are still there while
   * the store forgets their encodings: at most one for each peer of {@link #written}.
   */
  private final Map<String, Integer> withdrawn = new HashMap<>();

  private WrittenOutputs(List<TrustedPeer> written) {
    this.written = written;
  }

  /** The layout of {@code trusted.p12} as just written whole from {@code peers}. */
  static WrittenOutputs of(List<TrustedPeer> peers) {
    return new WrittenOutputs(List.copyOf(peers));
  }

  /**
   * Withdraws {@code peer}'s certificate in place, as the class says, from {@code pkcs12File} and
   * from {@code pemFile}, which must hold {@code pemPeers}' bundle, flushing each; {@code
   * encodings} must still hold the peer's.
   *
   * @return false, having changed nothing, if the files do not hold what they should (someone
   *     changed or deleted them, or the peer is not there or already withdrawn): write them whole
   *     instead
   * @throws IOException if reading, writing or flushing failed: the files may then hold the
   *     withdrawal or not, and must be written whole
   */
  boolean withdraw(
      Path pemFile,
      Path pkcs12File,
      TrustedPeer peer,
      List<TrustedPeer> pemPeers,
      PeerEncodings encodings)
      throws IOException {
    if (withdrawn.containsKey(peer.fingerprint())) {
      return false;
    }
    long entriesLength = 0;
    long entryAt = -1;
    for (TrustedPeer each : written) {
      Integer length = withdrawn.get(each.fingerprint());
      if (each.fingerprint().equals(peer.fingerprint())) {
        entryAt = entriesLength;
      }
      entriesLength += length != null ? length : encodings.of(each).pkcs12Entry().length;
    }
    Placed pem = pemEntry(pemPeers, peer, encodings);
    if (entryAt < 0 || pem == null) {
      return false;
    }
    if (!Files.exists(pemFile, LinkOption.NOFOLLOW_LINKS)
        || !Files.exists(pkcs12File, LinkOption.NOFOLLOW_LINKS)) {
      // Deleted (by hand, to have paird make it again): not what paird wrote, so written whole.
      return false;
    }
    PeerEncodings.Encoded encoded = encodings.of(peer);
    int header = TrustedPkcs12.headerLength(entriesLength);
    int bagTypeEnd;
    try {
      bagTypeEnd = TrustedPkcs12.bagTypeEnd(encoded.pkcs12Entry());
    } catch (IllegalArgumentException e) {
      // Not an entry TrustedPkcs12 made: written whole rather than changed where it cannot be.
      return false;
    }
    try (FileChannel pemChannel = openRegular(pemFile);
        FileChannel pkcs12 = openRegular(pkcs12File)) {
      if (!holds(pemChannel, pem.fileLength(), pem.at(), encoded.pemEntry())
          || !holds(pkcs12, header + entriesLength, header + entryAt, encoded.pkcs12Entry())) {
        return false;
      }
      writeByte(pkcs12, header + entryAt + bagTypeEnd, TrustedPkcs12.WITHDRAWN_BAG_TYPE);
      pkcs12.force(false);
      writeByte(pemChannel, pem.at() + encoded.pemStart(), (byte) '#');
      pemChannel.force(false);
    }
    withdrawn.put(peer.fingerprint(), encoded.pkcs12Entry().length);
    return true;
  }

  /**
   * Makes the END line of {@code peer}'s block in {@code pemFile}, whose BEGIN line {@link
   * #withdraw} changed, a comment too, and flushes it: for a {@code trusted.pem} that the store
   * could not write whole after a withdrawal (a full disk), so that Java's PEM reader reads it.
   * Unlike the first byte, this one may be seen without the other by a reader that reads the file
   * in pieces across the write, and OpenSSL then refuses the file; it is the lesser harm against a
   * file Java refuses until the next change.
   */
  static void withdrawEndLine(
      Path pemFile, TrustedPeer peer, List<TrustedPeer> pemPeers, PeerEncodings encodings)
      throws IOException {
    Placed pem = pemEntry(pemPeers, peer, encodings);
    if (pem == null) {
      return;
    }
    int end = indexOf(encodings.of(peer).pemEntry(), END_LINE);
    if (end < 0) {
      return;
    }
    try (FileChannel channel = openRegular(pemFile)) {
      if (channel.size() != pem.fileLength()) {
        return;
      }
      writeByte(channel, pem.at() + end + 1, (byte) '#');
      channel.force(false);
    }
  }

  /** Where a peer's entry starts in the bundle of some peers, and the bundle's length. */
  private record Placed(long at, long fileLength) {}

  private static Placed pemEntry(
      List<TrustedPeer> pemPeers, TrustedPeer peer, PeerEncodings encodings) {
    long length = 0;
    long at = -1;
    for (TrustedPeer each : pemPeers) {
      if (each.fingerprint().equals(peer.fingerprint())) {
        at = length;
      }
      length += encodings.of(each).pemEntry().length;
    }
    return at < 0 ? null : new Placed(at, length);
  }

  private static FileChannel openRegular(Path file) throws IOException {
    BasicFileAttributes attributes =
        Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    if (!attributes.isRegularFile()) {
      throw new IOException("not a regular file");
    }
    return FileChannel.open(
        file, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
  }

  /** Whether the file is {@code length} bytes long and holds {@code entry} at {@code at}. */
  private static boolean holds(FileChannel file, long length, long at, byte[] entry)
      throws IOException {
    if (file.size() != length) {
      return false;
    }
    ByteBuffer read = ByteBuffer.allocate(entry.length);
    while (read.hasRemaining()) {
      if (file.read(read, at + read.position()) < 0) {
        return false;
      }
    }
    return Arrays.equals(read.array(), entry);
  }

  private static void writeByte(FileChannel file, long at, byte value) throws IOException {
    ByteBuffer buffer = ByteBuffer.wrap(new byte[] {value});
    while (buffer.hasRemaining()) {
      file.write(buffer, at);
    }
  }

  /** Where {@code what} first starts in {@code in}, or -1. */
  private static int indexOf(byte[] in, byte[] what) {
    for (int i = 0; i <= in.length - what.length; i++) {
      if (Arrays.equals(in, i, i + what.length, what, 0, what.length)) {
        return i;
      }
    }
    return -1;
  }
}
