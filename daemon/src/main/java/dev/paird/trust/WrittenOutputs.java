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
 * What {@code trusted.pem} and {@code trusted.p12} hold as paird last wrote them, entry by entry,
 * so that a {@code remove} can withdraw one certificate where it lies instead of writing both files
 * again: at 10,000 peers they are 10.5 MB, whose flush took a {@code remove} from some 10 ms to 40
 * ms, while a withdrawal writes and flushes a few bytes of each file, whatever the list's size.
 *
 * <p>A withdrawal never makes a file trust anything the list does not:
 *
 * <ul>
 *   <li>in {@code trusted.pem}, the first hyphen of the block's {@code -----BEGIN CERTIFICATE-----}
 *       line becomes {@code #}: OpenSSL, GnuTLS, Go, rustls, mbed TLS and wolfSSL find a block only
 *       by five hyphens and {@code BEGIN}, so that one byte decides, and a byte is written whole.
 *       The {@code -----END} line becomes a comment too, for Java's PEM reader, which would
 *       otherwise take it for a block's start and refuse the bundle; and the comment line before
 *       the block says {@value #WITHDRAWN_COMMENT} instead of the peer's fingerprint and subject.
 *       All three are one write, so that a paird stopped or killed between two calls leaves the
 *       entry whole or withdrawn. A power cut that tears the write, or a reader that reads the page
 *       while it is copied, can see the BEGIN line changed without the END line: OpenSSL and the
 *       others read the bundle without the certificate, Java's PEM reader refuses the whole bundle;
 *       neither trusts it;
 *   <li>in {@code trusted.p12}, the last byte of the bag's type, PKCS#12's certBag
 *       (1.2.840.113549.1.12.10.1.3), becomes 0, a bag type that does not exist: Java and OpenSSL
 *       skip bags of a type they do not know, so the entry is no longer read at all.
 * </ul>
 *
 * The withdrawn entries stay, inert, until the files are next written whole: by the next pairing,
 * or at the next start ({@link TrustStore#open} rewrites a file that is not exactly what the list
 * says). Nothing is withdrawn unless both files hold, at the place this layout says, exactly what
 * paird wrote there; otherwise the caller writes them whole, as before.
 *
 * <p>Not thread-safe: the store's writes are serialized.
 */
final class WrittenOutputs {
  /** What a withdrawn certificate's comment line in {@code trusted.pem} says. */
  static final String WITHDRAWN_COMMENT = "withdrawn: no longer trusted";

  private static final byte[] END_LINE = "\n-----END ".getBytes(StandardCharsets.US_ASCII);

  /** The peers whose entries the files hold, in the files' order, withdrawn ones included. */
  private final List<TrustedPeer> written;

  /**
   * The lengths of the withdrawn peers' entries in both files, which are still there while the
   * store forgets their encodings: at most one for each peer of {@link #written}.
   */
  private final Map<String, Lengths> withdrawn = new HashMap<>();

  private record Lengths(int pem, int pkcs12) {}

  private WrittenOutputs(List<TrustedPeer> written) {
    this.written = written;
  }

  /** The layout of both files as just written whole from {@code peers}. */
  static WrittenOutputs of(List<TrustedPeer> peers) {
    return new WrittenOutputs(List.copyOf(peers));
  }

  /**
   * Withdraws {@code peer}'s certificate from {@code pemFile} and {@code pkcs12File} in place, as
   * the class says, and flushes both; {@code encodings} must still hold the peer's.
   *
   * @return false, having changed nothing, if the files do not hold what this layout says (someone
   *     changed them, or the peer is not there or already withdrawn): write them whole instead
   * @throws IOException if reading, writing or flushing failed: the files may then hold the
   *     withdrawal in part, each part a certificate not trusted, and must be written whole
   */
  boolean withdraw(Path pemFile, Path pkcs12File, TrustedPeer peer, PeerEncodings encodings)
      throws IOException {
    if (withdrawn.containsKey(peer.fingerprint())) {
      return false;
    }
    long pemLength = 0;
    long entriesLength = 0;
    long pemAt = -1;
    long entryAt = -1;
    for (TrustedPeer each : written) {
      Lengths lengths = withdrawn.get(each.fingerprint());
      if (lengths == null) {
        PeerEncodings.Encoded parts = encodings.of(each);
        lengths = new Lengths(parts.pemEntry().length, parts.pkcs12Entry().length);
      }
      if (each.fingerprint().equals(peer.fingerprint())) {
        pemAt = pemLength;
        entryAt = entriesLength;
      }
      pemLength += lengths.pem();
      entriesLength += lengths.pkcs12();
    }
    if (pemAt < 0) {
      return false;
    }
    PeerEncodings.Encoded encoded = encodings.of(peer);
    int header = TrustedPkcs12.headerLength(entriesLength);
    if (!Files.exists(pemFile, LinkOption.NOFOLLOW_LINKS)
        || !Files.exists(pkcs12File, LinkOption.NOFOLLOW_LINKS)) {
      // Deleted (by hand, to have paird make it again): not what paird wrote, so written whole.
      return false;
    }
    try (FileChannel pem = openRegular(pemFile);
        FileChannel pkcs12 = openRegular(pkcs12File)) {
      if (!holds(pem, pemLength, pemAt, encoded.pemEntry())
          || !holds(pkcs12, header + entriesLength, header + entryAt, encoded.pkcs12Entry())) {
        return false;
      }
      writeFully(pem, pemAt + 2, withdrawnPem(encoded));
      pem.force(false);
      writeFully(
          pkcs12,
          header + entryAt + TrustedPkcs12.bagTypeEnd(encoded.pkcs12Entry()),
          new byte[] {TrustedPkcs12.WITHDRAWN_BAG_TYPE});
      pkcs12.force(false);
    }
    withdrawn.put(
        peer.fingerprint(), new Lengths(encoded.pemEntry().length, encoded.pkcs12Entry().length));
    return true;
  }

  /**
   * What replaces a peer's PEM entry from after its comment's "# " to the first hyphen of its END
   * line: written in one call, so that a process stopped or killed between calls leaves the entry
   * whole or withdrawn, never one of its boundaries alone (Java would refuse an END line without
   * its BEGIN; OpenSSL a BEGIN line without its END).
   */
  static byte[] withdrawnPem(PeerEncodings.Encoded encoded) {
    byte[] entry = encoded.pemEntry();
    int start = encoded.pemStart();
    int end = indexOf(entry, END_LINE, start) + 1;
    byte[] replacement = Arrays.copyOfRange(entry, 2, end + 1);
    // The comment's text, padded with spaces to its length; its line break stays.
    Arrays.fill(replacement, 0, start - 3, (byte) ' ');
    byte[] comment = WITHDRAWN_COMMENT.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(comment, 0, replacement, 0, Math.min(comment.length, start - 3));
    replacement[start - 2] = '#';
    replacement[end - 2] = '#';
    return replacement;
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

  private static void writeFully(FileChannel file, long at, byte[] bytes) throws IOException {
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    while (buffer.hasRemaining()) {
      file.write(buffer, at + buffer.position());
    }
  }

  private static int indexOf(byte[] in, byte[] what, int from) {
    for (int i = from; i <= in.length - what.length; i++) {
      if (Arrays.equals(in, i, i + what.length, what, 0, what.length)) {
        return i;
      }
    }
    throw new IllegalArgumentException("a PEM entry without an END line");
  }
}
